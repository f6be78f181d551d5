#include <uringd/http/path.hpp>

#include <gtest/gtest.h>

using namespace uringd::http;

namespace {

std::string resolved(std::string_view target, bool* slash = nullptr) {
    ResolvedTarget t;
    EXPECT_EQ(resolve_target(target, t), TargetError::None) << target;
    if (slash) *slash = t.trailing_slash;
    return t.path;
}

TargetError error_of(std::string_view target) {
    ResolvedTarget t;
    return resolve_target(target, t);
}

}  // namespace

TEST(Path, Plain) {
    EXPECT_EQ(resolved("/"), "");
    EXPECT_EQ(resolved("/index.html"), "index.html");
    EXPECT_EQ(resolved("/a/b/c.txt"), "a/b/c.txt");
}

TEST(Path, DotSegmentsAndEmptySegments) {
    EXPECT_EQ(resolved("/a/./b//c"), "a/b/c");
    EXPECT_EQ(resolved("/a/b/../c"), "a/c");
    EXPECT_EQ(resolved("/a/.."), "");
}

TEST(Path, TrailingSlash) {
    bool slash = false;
    EXPECT_EQ(resolved("/dir/", &slash), "dir");
    EXPECT_TRUE(slash);
    EXPECT_EQ(resolved("/dir", &slash), "dir");
    EXPECT_FALSE(slash);
    EXPECT_EQ(resolved("/", &slash), "");
    EXPECT_TRUE(slash);
    EXPECT_EQ(resolved("/a/b/..", &slash), "a");
    EXPECT_TRUE(slash);
}

TEST(Path, PercentDecodedOnce) {
    EXPECT_EQ(resolved("/a%20b"), "a b");
    EXPECT_EQ(resolved("/%252e%252e/x"), "%2e%2e/x");  // double encoding stays literal
    EXPECT_EQ(resolved("/a%2fb"), "a/b");              // an encoded slash separates
}

TEST(Path, TraversalRejected) {
    EXPECT_EQ(error_of("/.."), TargetError::Escapes);
    EXPECT_EQ(error_of("/../etc/passwd"), TargetError::Escapes);
    EXPECT_EQ(error_of("/a/../../etc/passwd"), TargetError::Escapes);
    EXPECT_EQ(error_of("/%2e%2e/etc/passwd"), TargetError::Escapes);
    EXPECT_EQ(error_of("/a%2f..%2f..%2fetc"), TargetError::Escapes);
}

TEST(Path, BackslashIsAnOrdinaryByte) { EXPECT_EQ(resolved("/..\\..\\etc\\passwd"), "..\\..\\etc\\passwd"); }

TEST(Path, BadEncodingAndNul) {
    EXPECT_EQ(error_of("/a%zz"), TargetError::BadEncoding);
    EXPECT_EQ(error_of("/a%2"), TargetError::BadEncoding);
    EXPECT_EQ(error_of("/a%"), TargetError::BadEncoding);
    EXPECT_EQ(error_of("/a%00b"), TargetError::Nul);
}

TEST(Path, QueryIsSplitOff) {
    ResolvedTarget t;
    ASSERT_EQ(resolve_target("/a/b?x=1&y=%2F", t), TargetError::None);
    EXPECT_EQ(t.path, "a/b");
    EXPECT_EQ(t.query, "x=1&y=%2F");
}

TEST(Path, AbsoluteForm) {
    EXPECT_EQ(resolved("http://example.com/a/b"), "a/b");
    EXPECT_EQ(resolved("HTTPS://example.com"), "");
    EXPECT_EQ(resolved("http://example.com?q"), "");
}

TEST(Path, NotOriginForm) {
    EXPECT_EQ(error_of("a/b"), TargetError::NotOriginForm);
    EXPECT_EQ(error_of(""), TargetError::NotOriginForm);
}

TEST(Path, HiddenSegments) {
    EXPECT_TRUE(has_hidden_segment(".git/config"));
    EXPECT_TRUE(has_hidden_segment("a/.env"));
    EXPECT_FALSE(has_hidden_segment(".well-known/acme-challenge/x"));
    EXPECT_TRUE(has_hidden_segment("a/.well-known/x"));
    EXPECT_FALSE(has_hidden_segment("a/b.c/d"));
    EXPECT_FALSE(has_hidden_segment(""));
}
