#include <uringd/http/range.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace uringd::http;

namespace {

using Kind = RangeSet::Kind;

std::string parts(const RangeSet& s) {
    std::string out;
    for (const ByteRange& r : s.parts()) out += std::to_string(r.first) + "-" + std::to_string(r.last) + ";";
    return out;
}

}  // namespace

TEST(Range, SingleForms) {
    EXPECT_EQ(parts(parse_range("bytes=0-99", 1000, 16)), "0-99;");
    EXPECT_EQ(parts(parse_range("bytes=900-", 1000, 16)), "900-999;");
    EXPECT_EQ(parts(parse_range("bytes=-100", 1000, 16)), "900-999;");
    EXPECT_EQ(parts(parse_range("bytes=-5000", 1000, 16)), "0-999;");       // suffix longer than the file
    EXPECT_EQ(parts(parse_range("bytes=990-5000", 1000, 16)), "990-999;");  // clamped past the end
    EXPECT_EQ(parts(parse_range("BYTES = 5-5", 1000, 16)), "");             // no space allowed before '='
    EXPECT_EQ(parts(parse_range("Bytes=5-5", 1000, 16)), "5-5;");
    EXPECT_EQ(parse_range("bytes=0-0", 1, 16).kind, Kind::Partial);
}

// RFC 9110 puts no bound on a position: one past 64 bits is past the end, not bad syntax.
TEST(Range, PositionsBeyond64Bits) {
    EXPECT_EQ(parts(parse_range("bytes=0-99999999999999999999999", 1000, 16)), "0-999;");
    EXPECT_EQ(parts(parse_range("bytes=-99999999999999999999999", 1000, 16)), "0-999;");
    EXPECT_EQ(parse_range("bytes=99999999999999999999999-", 1000, 16).kind, Kind::Unsatisfiable);
    EXPECT_EQ(parse_range("bytes=18446744073709551616-18446744073709551617", 1000, 16).kind, Kind::Unsatisfiable);
    EXPECT_EQ(parts(parse_range("bytes=99999999999999999999999-, 5-9", 1000, 16)), "5-9;");
}

TEST(Range, InvalidOrForeignIsIgnored) {
    for (const char* f : {"", "bytes=", "bytes=,", "items=0-1", "bytes=5-1", "bytes=a-b", "bytes=1", "bytes=--1",
                          "bytes=-", "bytes=+1-2", "bytes=0-1x", "bytes 0-1", "bytes=99999999999999999999999-1"})
        EXPECT_EQ(parse_range(f, 1000, 16).kind, Kind::Full) << f;
}

TEST(Range, Unsatisfiable) {
    EXPECT_EQ(parse_range("bytes=1000-", 1000, 16).kind, Kind::Unsatisfiable);
    EXPECT_EQ(parse_range("bytes=1000-2000, 3000-", 1000, 16).kind, Kind::Unsatisfiable);
    EXPECT_EQ(parse_range("bytes=-0", 1000, 16).kind, Kind::Unsatisfiable);
    EXPECT_EQ(parse_range("bytes=0-", 0, 16).kind, Kind::Unsatisfiable);
    EXPECT_EQ(parse_range("bytes=-1", 0, 16).kind, Kind::Unsatisfiable);
    // One satisfiable range is enough.
    EXPECT_EQ(parts(parse_range("bytes=5000-, 1-2", 1000, 16)), "1-2;");
}

TEST(Range, SeveralAreSortedAndCoalesced) {
    EXPECT_EQ(parts(parse_range("bytes=500-599, 0-99", 1000, 16)), "0-99;500-599;");
    EXPECT_EQ(parts(parse_range("bytes=0-99, 50-150", 1000, 16)), "0-150;");   // overlap
    EXPECT_EQ(parts(parse_range("bytes=0-99, 150-199", 1000, 16)), "0-199;");  // gap < 80
    EXPECT_EQ(parts(parse_range("bytes=0-99, 181-199", 1000, 16)), "0-99;181-199;");
    EXPECT_EQ(parts(parse_range("bytes=0-0,0-0,0-0,0-0", 1000, 16)), "0-0;");  // no byte sent twice
    EXPECT_EQ(parts(parse_range("bytes=-10, 0-9", 1000, 16)), "0-9;990-999;");
}

TEST(Range, TooManyMeansTheWholeFile) {
    EXPECT_EQ(parse_range("bytes=0-0,2-2,4-4", 1000, 2).kind, Kind::Full);
    EXPECT_EQ(parse_range("bytes=0-0,,,2-2", 1000, 2).kind, Kind::Partial);  // empty elements do not count
    std::string many = "bytes=0-0";
    for (int i = 1; i < 100; ++i) many += "," + std::to_string(i * 200) + "-" + std::to_string(i * 200);
    EXPECT_EQ(parse_range(many, 1 << 20, 1000).kind, Kind::Full);  // capped at kMaxRangesCap
}

TEST(Range, ContentRangeValues) {
    char buf[64];
    EXPECT_EQ(std::string(buf, format_content_range(buf, {0, 99}, 1000)), "bytes 0-99/1000");
    EXPECT_EQ(std::string(buf, format_unsatisfied_range(buf, 1000)), "bytes */1000");
    EXPECT_EQ(format_content_range({buf, 5}, {0, 99}, 1000), 0u);
}

TEST(Range, MultipartFramingAddsUp) {
    const RangeSet s = parse_range("bytes=0-1, 100-102", 1000, 16);
    ASSERT_EQ(s.count, 2u);
    std::string body;
    char buf[256];
    for (const ByteRange& r : s.parts()) {
        body.append(buf, write_part_head(buf, "B", "text/plain", r, 1000));
        body.append(r.length(), 'x');
    }
    body.append(buf, write_multipart_end(buf, "B"));
    EXPECT_EQ(body,
              "\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/1000\r\n\r\nxx"
              "\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 100-102/1000\r\n\r\nxxx"
              "\r\n--B--\r\n");
    EXPECT_EQ(multipart_length(s, "B", "text/plain", 1000), body.size());
    EXPECT_EQ(multipart_length(s, "B", "", 1000), body.size() - 2 * std::string("Content-Type: text/plain\r\n").size());
}
