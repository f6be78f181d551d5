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
    r.duration_ms = 3;
    return r;
}

}  // namespace

TEST(AccessLine, Combined) {
    std::string out;
    append_combined(out, sample());
    EXPECT_EQ(out, "10.0.0.1 - - [10/Oct/2000:13:55:36 +0000] \"GET /a b\\x22c HTTP/1.1\" 200 2326 \"-\" \"ua\\x5C\"\n");
}

TEST(AccessLine, Json) {
    std::string out;
    append_json(out, sample());
    EXPECT_EQ(out,
              "{\"time\":\"2000-10-10T13:55:36Z\",\"remote\":\"10.0.0.1\",\"host\":\"h\",\"method\":\"GET\","
              "\"uri\":\"/a b\\\"c\",\"protocol\":\"HTTP/1.1\",\"status\":200,\"bytes\":2326,\"referer\":\"\","
              "\"user_agent\":\"ua\\\\\",\"duration_ms\":3}\n");
}
