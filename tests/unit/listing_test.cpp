#include <uringd/http/listing.hpp>

#include <gtest/gtest.h>

using namespace uringd::http;

TEST(Listing, SortedEscapedAndLinked) {
    const std::string page = render_listing(
        "a/b", {{"z.txt", false, 12, 0}, {"<x>&\"'.txt", false, 3, 0}, {"sub", true, 0, 0}, {"a b", false, 1, 0}},
        false);
    const auto sub = page.find(">sub/</a>"), ab = page.find(">a b</a>"), z = page.find(">z.txt</a>");
    ASSERT_NE(sub, std::string::npos);
    EXPECT_LT(sub, ab);  // directories first, then by name
    EXPECT_LT(ab, z);
    EXPECT_NE(page.find("href=\"./a%20b\""), std::string::npos);
    EXPECT_NE(page.find("href=\"./sub/\""), std::string::npos);
    EXPECT_NE(page.find("&lt;x&gt;&amp;&quot;&#39;.txt"), std::string::npos);
    EXPECT_EQ(page.find("<x>"), std::string::npos);
    EXPECT_NE(page.find("Index of /a/b/"), std::string::npos);
    EXPECT_NE(page.find("href=\"../\""), std::string::npos);
    EXPECT_NE(page.find("<td>12</td>"), std::string::npos);
    EXPECT_NE(page.find("Thu, 01 Jan 1970 00:00:00 GMT"), std::string::npos);
}

TEST(Listing, RootHasNoParentAndTruncationIsSaid) {
    const std::string page = render_listing("", {}, true);
    EXPECT_EQ(page.find("../"), std::string::npos);
    EXPECT_NE(page.find("more entries exist"), std::string::npos);
}
