#include <uringd/base/host_name.hpp>
#include <uringd/http/host.hpp>

#include <gtest/gtest.h>

using namespace uringd;
using namespace uringd::http;

TEST(HostName, PortAndTrailingDotDropped) {
    EXPECT_EQ(host_name("Example.com:8443"), "Example.com");
    EXPECT_EQ(host_name("example.com."), "example.com");
    EXPECT_EQ(host_name("[::1]:80"), "[::1]");
    EXPECT_EQ(host_name("[::1]"), "[::1]");
    EXPECT_EQ(host_name("127.0.0.1"), "127.0.0.1");
    EXPECT_EQ(host_name(""), "");
}

TEST(HostName, BadSyntaxRefused) {
    for (const char* h : {"a b", "a/b", "a@b", "[::1", "::1", "a:b", "a:123456", "[zz]", "a\"b", "a:8080:80"})
        EXPECT_FALSE(host_name(h)) << h;
}

TEST(HostName, Patterns) {
    EXPECT_TRUE(host_name_matches("b.test", "B.Test"));
    EXPECT_TRUE(host_name_matches("*.b.test", "x.b.test"));
    EXPECT_FALSE(host_name_matches("*.b.test", "b.test"));
    EXPECT_FALSE(host_name_matches("*.b.test", "x.y.b.test"));
    EXPECT_FALSE(host_name_matches("b.test", "b.test.evil"));
}

TEST(SplitTarget, AbsoluteAndOriginForm) {
    EXPECT_EQ(split_target("http://a.test:81/x?y").authority, "a.test:81");
    EXPECT_EQ(split_target("http://a.test:81/x?y").path_and_query, "/x?y");
    EXPECT_EQ(split_target("HTTPS://a.test").path_and_query, "/");
    EXPECT_EQ(split_target("/x").authority, "");
    EXPECT_EQ(split_target("/x").path_and_query, "/x");
}

TEST(HostName, AnExactNameBeatsAWildcardWhereverItStands) {
    const std::vector<std::vector<std::string>> lists = {{"*.b.test"}, {"other.test", "x.b.test"}, {"*.c.test"}};
    auto find = [&](std::string_view name) {
        return find_host_match(
            lists, name, [](const std::vector<std::string>& l) -> const auto& { return l; });
    };
    EXPECT_EQ(find("x.b.test"), 1);  // exact, in the second list, over the first list's wildcard
    EXPECT_EQ(find("X.B.TEST"), 1);
    EXPECT_EQ(find("y.b.test"), 0);
    EXPECT_EQ(find("y.c.test"), 2);
    EXPECT_EQ(find("c.test"), -1);
    EXPECT_EQ(find("other.test"), 1);
}
