#include <uringd/http/mime.hpp>

#include <gtest/gtest.h>

using uringd::http::MimeTypes;

TEST(Mime, BuiltinTable) {
    MimeTypes m;
    EXPECT_EQ(m.lookup("a/index.html"), "text/html; charset=utf-8");
    EXPECT_EQ(m.lookup("x.CSS"), "text/css; charset=utf-8");
    EXPECT_EQ(m.lookup("img.png"), "image/png");
    EXPECT_EQ(m.lookup("noext"), "application/octet-stream");
    EXPECT_EQ(m.lookup("dir.d/noext"), "application/octet-stream");
    EXPECT_EQ(m.lookup("trailingdot."), "application/octet-stream");
}

TEST(Mime, FileEntriesAddButKeepCharsetTypes) {
    MimeTypes m;
    m.add_from_text("# comment\napplication/x-foo foo fooz\ntext/html html htm\n\nimage/x-bar bar # trailing\n");
    EXPECT_EQ(m.lookup("a.foo"), "application/x-foo");
    EXPECT_EQ(m.lookup("a.FOOZ"), "application/x-foo");
    EXPECT_EQ(m.lookup("a.bar"), "image/x-bar");
    EXPECT_EQ(m.lookup("a.html"), "text/html; charset=utf-8");
}

TEST(Mime, DebianMimeTypesLoads) {
    MimeTypes m;
    if (!m.load("/etc/mime.types")) GTEST_SKIP() << "/etc/mime.types missing (media-types not installed)";
    EXPECT_GT(m.size(), 500u);
    EXPECT_EQ(m.lookup("x.webm"), "video/webm");
}
