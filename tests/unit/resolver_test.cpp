// The resolver's steps driven by a fake file system: every lookup it asks for is
// answered from a map, as the worker answers from its cache or the ring.
#include <uringd/server/resolver.hpp>

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace uringd::server {
namespace {

using Action = Resolver::Action;
using fs::FileKind;

struct Trace {
    std::vector<std::string> lookups;  // in order; "+" marks a ProbeSidecars step
    Action last = Action::Respond;
};

class ResolverTest : public ::testing::Test {
protected:
    void file(const std::string& path, FileKind kind = FileKind::Regular) { files_[path] = {0, kind}; }
    void fails(const std::string& path, int err) { files_[path] = {err, FileKind::Other}; }

    Trace finish(Action a) {
        Trace run;
        while (a == Action::Lookup || a == Action::ProbeSidecars) {
            const std::string& path = resolver.path();
            run.lookups.push_back((a == Action::ProbeSidecars ? "+" : "") + path);
            const auto it = files_.find(path);
            a = resolver.on_found(it == files_.end() ? Resolver::Found{ENOENT, FileKind::Other} : it->second);
            if (run.lookups.size() > 20) break;  // a loop would be a bug: stop and fail below
        }
        EXPECT_LE(run.lookups.size(), 20u);
        run.last = a;
        return run;
    }

    Trace get(const std::string& path, bool trailing_slash = false, const char* accept_encoding = nullptr) {
        resolver = Resolver{};
        resolver.target().path = path;
        resolver.target().trailing_slash = trailing_slash;
        const http::Negotiation codings =
            accept_encoding ? http::negotiate_encoding(std::string_view(accept_encoding)) : http::Negotiation{};
        return finish(resolver.start(site, codings));
    }

    config::SiteConfig site;
    Resolver resolver;

private:
    std::map<std::string, Resolver::Found> files_;
};

using Paths = std::vector<std::string>;

TEST_F(ResolverTest, ServesARegularFile) {
    file("a.txt");
    const Trace r = get("a.txt");
    EXPECT_EQ(r.lookups, Paths{"a.txt"});
    EXPECT_EQ(r.last, Action::Serve);
    EXPECT_EQ(resolver.status(), http::Status::Ok);
    EXPECT_EQ(resolver.coding(), -1);
    EXPECT_FALSE(resolver.serving_error_page());
}

TEST_F(ResolverTest, MissingFileIs404) {
    const Trace r = get("nope.txt");
    EXPECT_EQ(r.last, Action::Respond);
    EXPECT_EQ(resolver.status(), http::Status::NotFound);
    EXPECT_FALSE(resolver.error_page_failed());
}

TEST_F(ResolverTest, OpenErrorsMapToTheirStatus) {
    fails("secret", EACCES);
    fails("loop", ELOOP);
    fails("escape", EXDEV);
    fails("broken", EIO);
    get("secret");
    EXPECT_EQ(resolver.status(), http::Status::Forbidden);
    get("loop");
    EXPECT_EQ(resolver.status(), http::Status::Forbidden);
    get("escape");
    EXPECT_EQ(resolver.status(), http::Status::Forbidden);
    get("broken");
    EXPECT_EQ(resolver.status(), http::Status::InternalServerError);
}

TEST_F(ResolverTest, NeitherFileNorDirectoryIs403) {
    file("fifo", FileKind::Other);
    EXPECT_EQ(get("fifo").last, Action::Respond);
    EXPECT_EQ(resolver.status(), http::Status::Forbidden);
}

TEST_F(ResolverTest, AFileNamedAsADirectoryIs404) {
    file("a.txt");
    get("a.txt", true);
    EXPECT_EQ(resolver.status(), http::Status::NotFound);
}

TEST_F(ResolverTest, ErrorPageStandsInForTheStatus) {
    site.error_pages = {{404, "errors/404.html"}};
    file("errors/404.html");
    const Trace r = get("nope");
    EXPECT_EQ(r.lookups, (Paths{"nope", "errors/404.html"}));
    EXPECT_EQ(r.last, Action::Serve);
    EXPECT_TRUE(resolver.serving_error_page());
    EXPECT_EQ(resolver.status(), http::Status::NotFound);
}

TEST_F(ResolverTest, MissingErrorPageFallsBackToTheBuiltInOne) {
    site.error_pages = {{404, "errors/404.html"}};
    const Trace r = get("nope");
    EXPECT_EQ(r.lookups, (Paths{"nope", "errors/404.html"}));
    EXPECT_EQ(r.last, Action::Respond);
    EXPECT_EQ(resolver.status(), http::Status::NotFound);
    EXPECT_TRUE(resolver.error_page_failed());
}

TEST_F(ResolverTest, ErrorPageThatIsADirectoryOrUnreadableFallsBack) {
    site.error_pages = {{404, "errors"}, {403, "forbidden.html"}};
    file("errors", FileKind::Directory);
    fails("forbidden.html", EIO);
    fails("locked", EACCES);
    EXPECT_EQ(get("nope").last, Action::Respond);
    EXPECT_EQ(resolver.status(), http::Status::NotFound);
    EXPECT_EQ(get("locked").last, Action::Respond);
    EXPECT_EQ(resolver.status(), http::Status::Forbidden);
    EXPECT_TRUE(resolver.error_page_failed());
}

TEST_F(ResolverTest, AnErrorPageIsTriedOncePerExchange) {
    site.error_pages = {{412, "412.html"}, {404, "404.html"}};
    file("a.txt");
    get("a.txt");
    // The file was found, then a precondition failed: its page is looked up …
    EXPECT_EQ(resolver.respond(site, http::Status::PreconditionFailed), Action::Lookup);
    EXPECT_EQ(resolver.path(), "412.html");
    EXPECT_EQ(resolver.on_found({ENOENT, FileKind::Other}), Action::Respond);
    // … and a later status in the same exchange gets the built-in page.
    EXPECT_EQ(resolver.respond(site, http::Status::NotFound), Action::Respond);
    EXPECT_EQ(resolver.status(), http::Status::NotFound);
}

TEST_F(ResolverTest, StatusesBelow400HaveNoPage) {
    site.error_pages = {{404, "404.html"}};
    EXPECT_EQ(resolver.respond(site, http::Status::MovedPermanently), Action::Respond);
    EXPECT_EQ(resolver.status(), http::Status::MovedPermanently);
}

TEST_F(ResolverTest, DirectoryWithoutSlashRedirectsKeepingTheQuery) {
    file("docs", FileKind::Directory);
    EXPECT_EQ(get("docs").last, Action::Redirect);
    EXPECT_EQ(resolver.status(), http::Status::MovedPermanently);
    std::string location;
    resolver.target().query = "a=1";
    append_directory_location(location, resolver.target());
    EXPECT_EQ(location, "/docs/?a=1");
    resolver.target().path = "a b";
    resolver.target().query = {};
    append_directory_location(location, resolver.target());
    EXPECT_EQ(location, "/a%20b/");
}

TEST_F(ResolverTest, IndexFilesInOrder) {
    site.index = {"index.html", "index.htm"};
    file("docs", FileKind::Directory);
    file("docs/index.htm");
    const Trace r = get("docs", true);
    EXPECT_EQ(r.lookups, (Paths{"docs", "docs/index.html", "docs/index.htm"}));
    EXPECT_EQ(r.last, Action::Serve);
}

TEST_F(ResolverTest, TheRootIsLookedUpAsDot) {
    file(".", FileKind::Directory);
    file("index.html");
    const Trace r = get("", true);
    EXPECT_EQ(r.lookups, (Paths{".", "index.html"}));
    EXPECT_EQ(r.last, Action::Serve);
}

TEST_F(ResolverTest, IndexNotADirectoryEntryIsSkipped) {
    site.index = {"index.html", "home.html"};
    file("docs", FileKind::Directory);
    fails("docs/index.html", ENOTDIR);
    file("docs/home.html");
    EXPECT_EQ(get("docs", true).last, Action::Serve);
    EXPECT_EQ(resolver.path(), "docs/home.html");
}

TEST_F(ResolverTest, IndexThatIsADirectoryIs403) {
    file("docs", FileKind::Directory);
    file("docs/index.html", FileKind::Directory);
    get("docs", true);
    EXPECT_EQ(resolver.status(), http::Status::Forbidden);
}

TEST_F(ResolverTest, DirectoryWithoutIndexIsListedOrForbidden) {
    file("docs", FileKind::Directory);
    EXPECT_EQ(get("docs", true).last, Action::Respond);
    EXPECT_EQ(resolver.status(), http::Status::Forbidden);
    site.listing = true;
    EXPECT_EQ(get("docs", true).last, Action::Listing);
}

TEST_F(ResolverTest, SidecarsProbedBestFirst) {
    site.precompressed = true;
    file("app.js");
    file("app.js.gz");
    const Trace r = get("app.js", false, "br, gzip");
    EXPECT_EQ(r.lookups, (Paths{"app.js", "+app.js.br", "app.js.gz"}));
    EXPECT_EQ(r.last, Action::Serve);
    EXPECT_EQ(resolver.coding(), static_cast<int>(http::Coding::Gzip));
    EXPECT_EQ(resolver.path(), "app.js");  // Content-Type follows the plain name
}

TEST_F(ResolverTest, NoSidecarServesThePlainFile) {
    site.precompressed = true;
    file("app.js");
    file("app.js.br", FileKind::Directory);  // not a file: skipped
    fails("app.js.gz", EIO);                 // a sidecar that fails: skipped too
    const Trace r = get("app.js", false, "br, gzip");
    EXPECT_EQ(r.lookups, (Paths{"app.js", "+app.js.br", "app.js.gz"}));
    EXPECT_EQ(r.last, Action::ServeHeld);
    EXPECT_EQ(resolver.coding(), -1);
    EXPECT_EQ(resolver.path(), "app.js");
}

TEST_F(ResolverTest, NoAcceptableRepresentationIs406) {
    site.precompressed = true;
    file("app.js");
    const Trace r = get("app.js", false, "br, identity;q=0");
    EXPECT_EQ(r.last, Action::Respond);
    EXPECT_EQ(resolver.status(), http::Status::NotAcceptable);
}

TEST_F(ResolverTest, NoSidecarsWithoutPrecompressedOrCodings) {
    file("app.js");
    EXPECT_EQ(get("app.js", false, "br").lookups, Paths{"app.js"});
    site.precompressed = true;
    EXPECT_EQ(get("app.js").lookups, Paths{"app.js"});
}

TEST_F(ResolverTest, IndexFilesHaveSidecarsToo) {
    site.precompressed = true;
    file("docs", FileKind::Directory);
    file("docs/index.html");
    file("docs/index.html.br");
    const Trace r = get("docs", true, "br");
    EXPECT_EQ(r.lookups, (Paths{"docs", "docs/index.html", "+docs/index.html.br"}));
    EXPECT_EQ(resolver.coding(), static_cast<int>(http::Coding::Br));
}

TEST_F(ResolverTest, ErrorPagesHaveNoSidecars) {
    site.precompressed = true;
    site.error_pages = {{404, "404.html"}};
    file("404.html");
    file("404.html.br");
    const Trace r = get("nope", false, "br");
    EXPECT_EQ(r.lookups, (Paths{"nope", "404.html"}));
    EXPECT_EQ(resolver.coding(), -1);
}

}  // namespace
}  // namespace uringd::server
