#include <uringd/http/encoding.hpp>

#include <gtest/gtest.h>

#include <string>

using namespace uringd::http;

namespace {

// "br,gzip" style summary of the order, plus "!" when identity is refused.
std::string order(std::optional<std::string_view> field) {
    const Negotiation n = negotiate_encoding(field);
    std::string out;
    for (std::size_t i = 0; i < n.count; ++i) out += std::string(i ? "," : "") + std::string(coding_name(n.order[i]));
    return n.identity_ok ? out : out + "!";
}

}  // namespace

TEST(Encoding, NoHeaderMeansNoCoding) { EXPECT_EQ(order(std::nullopt), ""); }

TEST(Encoding, ServerPreferenceOnTies) {
    EXPECT_EQ(order("gzip, deflate, br, zstd"), "br,zstd,gzip");
    EXPECT_EQ(order("gzip"), "gzip");
    EXPECT_EQ(order("x-gzip"), "gzip");
    EXPECT_EQ(order("*"), "br,zstd,gzip");
    EXPECT_EQ(order(""), "");
}

TEST(Encoding, QValuesOrderAndExclude) {
    EXPECT_EQ(order("br;q=0.5, gzip;q=0.8"), "gzip,br");
    EXPECT_EQ(order("br;q=0, gzip"), "gzip");
    EXPECT_EQ(order("*;q=0.1, gzip;q=0"), "br,zstd");
    EXPECT_EQ(order("BR;Q=1.0"), "br");
    EXPECT_EQ(order("br;q=1.5, gzip"), "gzip");  // a malformed member is ignored
    EXPECT_EQ(order("br;q=0.5, identity"), "");  // identity wanted more than br
}

TEST(Encoding, IdentityRefused) {
    EXPECT_EQ(order("gzip, identity;q=0"), "gzip!");
    EXPECT_EQ(order("*;q=0"), "!");
    EXPECT_EQ(order("*;q=0, identity"), "");
    EXPECT_EQ(order("identity;q=0"), "!");
}
