#include <uringd/http/h2_fields.hpp>

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

using namespace uringd::http;

namespace {

std::vector<std::pair<std::string, std::string>> fields_of(const ResponseHead& h) {
    H2Fields fields;
    append_h2_fields(h, fields);
    std::vector<std::pair<std::string, std::string>> out;
    for (std::size_t i = 0; i < fields.size(); ++i) out.emplace_back(fields.name(i), fields.value(i));
    return out;
}

}  // namespace

TEST(H2Fields, StatusFirstLowercaseAndNoConnectionFields) {
    ResponseHead h;
    h.status = Status::PartialContent;
    h.date = "Mon, 30 Nov 2026 00:00:00 GMT";
    h.content_type = "text/plain";
    h.content_length = 42;
    h.etag = "\"abc\"";
    h.content_range = "bytes 0-41/100";
    h.accept_ranges = true;
    h.keep_alive = false;  // "Connection: close" on HTTP/1.1; nothing on HTTP/2
    h.extra = "X-Frame-Options: DENY\r\nConnection: keep-alive\r\nStrict-Transport-Security:  max-age=63072000\r\n";
    const auto f = fields_of(h);
    ASSERT_FALSE(f.empty());
    EXPECT_EQ(f[0], (std::pair<std::string, std::string>{":status", "206"}));
    std::map<std::string, std::string> m(f.begin(), f.end());
    EXPECT_EQ(m["content-length"], "42");
    EXPECT_EQ(m["content-type"], "text/plain");
    EXPECT_EQ(m["etag"], "\"abc\"");
    EXPECT_EQ(m["content-range"], "bytes 0-41/100");
    EXPECT_EQ(m["accept-ranges"], "bytes");
    EXPECT_EQ(m["x-frame-options"], "DENY");
    EXPECT_EQ(m["strict-transport-security"], "max-age=63072000");
    EXPECT_EQ(m.count("connection"), 0u);
    for (const auto& [name, value] : f)
        for (char ch : name) EXPECT_FALSE(ch >= 'A' && ch <= 'Z') << name;
}

TEST(H2Fields, NoContentLengthOn304And204) {
    ResponseHead h;
    h.status = Status::NotModified;
    h.content_length = 10;
    for (const auto& [name, value] : fields_of(h)) EXPECT_NE(name, "content-length");
    h.status = Status::NoContent;
    for (const auto& [name, value] : fields_of(h)) EXPECT_NE(name, "content-length");
}

TEST(H2Fields, ConnectionSpecificNames) {
    for (const char* n : {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"})
        EXPECT_TRUE(is_connection_specific(n)) << n;
    for (const char* n : {"te", "content-length", "x-connection"}) EXPECT_FALSE(is_connection_specific(n)) << n;
}

TEST(H2Fields, PriorityUrgency) {
    EXPECT_EQ(priority_urgency(""), 3);
    EXPECT_EQ(priority_urgency("u=0"), 0);
    EXPECT_EQ(priority_urgency("u=7, i"), 7);
    EXPECT_EQ(priority_urgency("i, u=1"), 1);
    EXPECT_EQ(priority_urgency("i"), 3);
    EXPECT_EQ(priority_urgency("u=8"), 3);
    EXPECT_EQ(priority_urgency("u=-1"), 3);
    EXPECT_EQ(priority_urgency("u=12"), 3);
    EXPECT_EQ(priority_urgency("u=?1"), 3);
}

TEST(H2Fields, AddAppendAndClearKeepEveryField) {
    H2Fields a, b;
    a.add(":status", "200");
    a.add("x-empty-name-next", "");
    b.add("x-frame-options", "DENY");
    b.add(std::string(300, 'n'), std::string(70000, 'v'));  // no 16-bit offsets
    a.append(b);
    ASSERT_EQ(a.size(), 4u);
    EXPECT_EQ(a.name(0), ":status");
    EXPECT_EQ(a.value(0), "200");
    EXPECT_EQ(a.value(1), "");
    EXPECT_EQ(a.name(2), "x-frame-options");
    EXPECT_EQ(a.value(3).size(), 70000u);
    a.clear();
    EXPECT_EQ(a.size(), 0u);
    a.add("a", "b");
    EXPECT_EQ(a.name(0), "a");
    EXPECT_EQ(a.value(0), "b");
}

TEST(H2Fields, SiteLinesAreConvertedOnce) {
    H2Fields f;
    append_h2_lines("X-Content-Type-Options: nosniff\r\nUpgrade: h2c\r\nbroken line\r\n: no name\r\nA-B:\tc \r\n", f);
    ASSERT_EQ(f.size(), 2u);
    EXPECT_EQ(f.name(0), "x-content-type-options");
    EXPECT_EQ(f.value(0), "nosniff");
    EXPECT_EQ(f.name(1), "a-b");
    EXPECT_EQ(f.value(1), "c");
}
