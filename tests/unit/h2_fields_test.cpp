#include <uringd/http/h2_fields.hpp>

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

using namespace uringd::http;

namespace {

std::vector<std::pair<std::string, std::string>> fields_of(const ResponseHead& h) {
    std::string packed;
    append_h2_fields(h, packed);
    std::vector<std::pair<std::string, std::string>> out;
    H2FieldReader r(packed);
    std::string_view name, value;
    while (r.next(name, value)) out.emplace_back(name, value);
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

TEST(H2Fields, ReaderStopsAtATruncatedPair) {
    H2FieldReader r(std::string_view("a\0b\0c", 5));
    std::string_view name, value;
    ASSERT_TRUE(r.next(name, value));
    EXPECT_EQ(name, "a");
    EXPECT_EQ(value, "b");
    EXPECT_FALSE(r.next(name, value));
}
