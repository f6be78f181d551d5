#include <uringd/http/access_line.hpp>

#include <gtest/gtest.h>

using namespace uringd::http;

namespace {

AccessRecord sample() {
    AccessRecord r;
    r.peer = "10.0.0.1";
    r.time = 971186136;  // 10 Oct 2000 13:55:36 UTC
    r.method = "GET";
    r.target = "/a b\"c";
    r.host = "h";
    r.user_agent = "ua\\";
    r.status = 200;
    r.bytes = 2326;
    r.duration_us = 3125;
    return r;
}

}  // namespace

TEST(AccessLine, Combined) {
    std::string out;
    append_combined(out, sample());
    EXPECT_EQ(out,
              "10.0.0.1 - - [10/Oct/2000:13:55:36 +0000] \"GET /a b\\x22c HTTP/1.1\" 200 2326 \"-\" \"ua\\x5C\"\n");
}

TEST(AccessLine, Json) {
    std::string out;
    append_json(out, sample());
    EXPECT_EQ(out,
              "{\"time\":\"2000-10-10T13:55:36Z\",\"remote\":\"10.0.0.1\",\"host\":\"h\",\"method\":\"GET\","
              "\"uri\":\"/a b\\\"c\",\"protocol\":\"HTTP/1.1\",\"status\":200,\"bytes\":2326,\"referer\":\"\","
              "\"user_agent\":\"ua\\\\\",\"duration_us\":3125}\n");
}

TEST(AccessLine, JsonKeepsUtf8AndReplacesOtherBytes) {
    AccessRecord r = sample();
    std::string out;
    r.target = "/caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80";  // é, €, 😀 stay as they are
    append_json(out, r);
    EXPECT_NE(out.find("\"uri\":\"/caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80\""), std::string::npos) << out;
    for (const char* bad : {"\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"}) {
        out.clear();
        const std::string target = std::string("/a") + bad + "b";  // r.target views it
        r.target = target;
        append_json(out, r);
        EXPECT_NE(out.find("\"uri\":\"/a\\ufffd"), std::string::npos) << out;
        EXPECT_NE(out.find("b\",\"protocol\""), std::string::npos) << out;
    }
    out.clear();
    r.target = "/\x01\x7f\t";
    append_json(out, r);
    EXPECT_NE(out.find("\"uri\":\"/\\u0001\\u007f\\u0009\""), std::string::npos) << out;
}

TEST(AccessLine, JsonNamesTheTlsOfTheConnection) {
    AccessRecord r = sample();
    r.tls_version = "TLSv1.3";
    r.tls_cipher = "TLS_AES_128_GCM_SHA256";
    r.alpn = "http/1.1";
    std::string out;
    append_json(out, r);
    EXPECT_NE(out.find(",\"duration_us\":3125,\"tls_version\":\"TLSv1.3\",\"tls_cipher\":\"TLS_AES_128_GCM_SHA256\","
                       "\"alpn\":\"http/1.1\"}\n"),
              std::string::npos)
        << out;
}
