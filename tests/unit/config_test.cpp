#include <uringd/config/config.hpp>

#include "../support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>

using namespace uringd::config;

namespace {

class ConfigTest : public ::testing::Test {
protected:
    std::string base() const { return "[[listen]]\naddress = \"127.0.0.1:8080\"\n[[site]]\nroot = \"" + dir_ + "\"\n"; }

    // The ConfigError message for `text`, or "" when it loads.
    static std::string error_of(const std::string& text) {
        try {
            load_text(text, "test.conf");
        } catch (const ConfigError& e) {
            return e.what();
        }
        return "";
    }

    uringd::testing::TempDir tmp_{"uringd-config"};
    const std::string dir_ = tmp_.path();
};

}  // namespace

TEST_F(ConfigTest, MinimalLoadsWithDefaults) {
    const Config c = load_text(base(), "test.conf");
    ASSERT_EQ(c.listen.size(), 1u);
    EXPECT_EQ(c.listen[0].address.to_string(), "127.0.0.1:8080");
    EXPECT_EQ(c.sites[0].index, std::vector<std::string>{"index.html"});
    EXPECT_EQ(c.io_uring.sqpoll, SqPoll::Auto);
    EXPECT_EQ(c.limits.max_connections, 4096u);
}

TEST_F(ConfigTest, UnknownKeyNamesLine) {
    EXPECT_EQ(error_of(base() + "[limits]\nmax_conections = 5\n"),
              "test.conf:6: unknown key \"max_conections\" in [limits]");
}

TEST_F(ConfigTest, UnknownSection) {
    EXPECT_EQ(error_of(base() + "[nope]\nx = 1\n"), "test.conf:5: unknown section or key \"nope\"");
}

TEST_F(ConfigTest, WrongTypeNamesTheKeyAndWhatWasGiven) {
    EXPECT_EQ(error_of(base() + "[server]\nworkers = \"4\"\n"),
              "test.conf:6: workers: expected an integer, got a string \"4\"");
    // Found by fuzz_config: a float was converted (UB for 1e24) before its type was checked.
    EXPECT_EQ(error_of(base() + "[io_uring]\nentries = 1e24\n"),
              "test.conf:6: entries: expected an integer, got a number 1e+24");
    EXPECT_EQ(error_of(base() + "[io_uring]\nentries = 64.0\n"),
              "test.conf:6: entries: expected an integer, got a number 64");
    EXPECT_EQ(error_of(base() + "[io_uring]\nsqpoll = true\n"),
              "test.conf:6: sqpoll: expected a string, got a boolean true");
    EXPECT_EQ(error_of(base() + "[log]\nlevel = [\"info\"]\n"), "test.conf:6: level: expected a string, got an array");
    EXPECT_EQ(error_of(base() + "[server]\n\n\nincoming_cpu = \"yes\"\n"),
              "test.conf:8: incoming_cpu: expected true or false, got a string \"yes\"");
    EXPECT_EQ(error_of(base() + "[[site]]\nroot = 1\n"), "test.conf:6: root: expected a string, got an integer 1");
}

TEST_F(ConfigTest, DurationsAndSizesTakeUnits) {
    const Config c = load_text(base() +
                                   "[limits]\nsend_timeout_ms = \"60s\"\nheader_timeout_ms = \"500ms\"\n"
                                   "keepalive_timeout_ms = \"2m\"\ndrain_timeout_ms = \"1h\"\nmax_body = \"1m\"\n"
                                   "header_buffer_size = \"32KiB\"\nmax_uri = 4096\n[cache]\nbody_budget = \"64M\"\n",
                               dir_ + "/test.conf");
    EXPECT_EQ(c.limits.send_timeout_ms, 60000u);
    EXPECT_EQ(c.limits.header_timeout_ms, 500u);
    EXPECT_EQ(c.limits.keepalive_timeout_ms, 120000u);
    EXPECT_EQ(c.limits.drain_timeout_ms, 3600000u);
    EXPECT_EQ(c.limits.max_body, 1u << 20);
    EXPECT_EQ(c.limits.header_buffer_size, 32u << 10);
    EXPECT_EQ(c.limits.max_uri, 4096u);
    EXPECT_EQ(c.cache.body_budget, 64u << 20);
    for (const char* bad : {"\"5x\"", "\"s\"", "\"-5s\"", "\"1.5s\"", "\" 5s\"", "true"})
        EXPECT_NE(error_of(base() + "[limits]\nsend_timeout_ms = " + bad + "\n")
                      .find("test.conf:6: send_timeout_ms: expected"),
                  std::string::npos)
            << bad;
    EXPECT_EQ(error_of(base() + "[limits]\nsend_timeout_ms = \"2h\"\n"),
              "test.conf:6: send_timeout_ms: value 2h (7200000) out of range [100, 3600000]");
    EXPECT_EQ(error_of(base() + "[limits]\nmax_body = \"99999999999999g\"\n").substr(0, 40),
              "test.conf:6: max_body: expected bytes or");
}

TEST_F(ConfigTest, OutOfRangeAndChoices) {
    EXPECT_EQ(error_of(base() + "[limits]\nmax_connections = 0\n"),
              "test.conf:6: max_connections: value 0 out of range [1, 1048576]");
    EXPECT_EQ(error_of(base() + "[io_uring]\nsqpoll = \"maybe\"\n"),
              "test.conf:6: sqpoll: expected one of auto|on|off, got \"maybe\"");
    EXPECT_EQ(error_of(base() + "[io_uring]\nrecv_buffers = 100\n"), "test.conf:6: must be a power of two");
}

TEST_F(ConfigTest, MissingRoot) {
    const std::string msg = error_of("[[listen]]\naddress = \":80\"\n[[site]]\nroot = \"/nonexistent/x\"\n");
    EXPECT_EQ(msg, "test.conf:4: root \"/nonexistent/x\": No such file or directory");  // the key's line
}

TEST_F(ConfigTest, RootThatIsAFile) {
    std::ofstream(dir_ + "/f") << "x";
    EXPECT_EQ(error_of("[[listen]]\naddress = \":80\"\n[[site]]\nroot = \"" + dir_ + "/f\"\n"),
              "test.conf:4: root \"" + dir_ + "/f\": not a directory");
}

TEST_F(ConfigTest, SiteWithoutRootAndNoListen) {
    EXPECT_EQ(error_of("[[listen]]\naddress = \":80\"\n[[site]]\nindex = [\"a\"]\n"),
              "test.conf:3: [[site]] needs \"root\"");
    EXPECT_EQ(error_of("[[site]]\nroot = \"/tmp\"\n"), "test.conf:1: no [[listen]] block: nothing to serve on");
}

TEST_F(ConfigTest, BadAddresses) {
    for (const char* a : {"127.0.0.1", "localhost:80", "1.2.3.4:99999", "::1:80", "[::1]80"})
        EXPECT_EQ(error_of("[[listen]]\naddress = \"" + std::string(a) + "\"\n[[site]]\nroot = \"/tmp\"\n"),
                  "test.conf:2: invalid address \"" + std::string(a) + "\" (expected host:port)")
            << a;
}

TEST_F(ConfigTest, GoodAddresses) {
    EXPECT_EQ(
        error_of("[[listen]]\naddress = \"[::1]:8080\"\n[[listen]]\naddress = \":8081\"\n[[site]]\nroot = \"/tmp\"\n"),
        "");
}

TEST_F(ConfigTest, DuplicateListen) {
    EXPECT_EQ(error_of(base() + "[[listen]]\naddress = \"127.0.0.1:8080\"\n"),
              "test.conf:5: address 127.0.0.1:8080 is listed twice");
}

TEST_F(ConfigTest, SyntaxErrorNamesLine) { EXPECT_TRUE(error_of(base() + "[limits\n").starts_with("test.conf:5: ")); }

TEST_F(ConfigTest, UnreadableFile) {
    try {
        load_file(dir_ + "/missing.conf");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()), dir_ + "/missing.conf: cannot read: No such file or directory");
    }
}

TEST_F(ConfigTest, RelativeRootIsRelativeToConfFile) {
    mkdir((dir_ + "/www").c_str(), 0755);
    std::ofstream(dir_ + "/u.conf") << "[[listen]]\naddress = \":80\"\n[[site]]\nroot = \"www\"\n";
    EXPECT_EQ(load_file(dir_ + "/u.conf").sites[0].root, dir_ + "/www");
}

TEST_F(ConfigTest, BadIndexEntry) {
    EXPECT_EQ(error_of(base() + "index = [\"../x\"]\n"), "test.conf:5: index entry \"../x\" must be a plain file name");
}

// The sample conf documents every directive, and loads.
TEST_F(ConfigTest, SampleConfDocumentsEveryDirective) {
    std::ifstream in(std::string(URINGD_SOURCE_DIR) + "/conf/uringd.conf");
    ASSERT_TRUE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string sample = ss.str();
    for (const auto& d : directives()) {
        EXPECT_NE(sample.find(std::string(d.key) + " = "), std::string::npos) << d.section << "." << d.key;
        EXPECT_NE(sample.find("# " + std::string(d.doc) + "\n"), std::string::npos)
            << "doc of " << d.section << "." << d.key;
    }
    std::ofstream(dir_ + "/cert.pem") << "x";
    std::ofstream(dir_ + "/key.pem") << "x";
    std::string text = std::regex_replace(sample, std::regex("root = \"[^\"]*\""), "root = \"" + dir_ + "\"");
    text = std::regex_replace(text, std::regex("\n(certificate|key) = \"/etc/uringd/"), "\n$1 = \"" + dir_ + "/");
    EXPECT_EQ(error_of(text), "");
}

// docs/configuration.md has a row for every directive.
TEST(ConfigDocs, ReferenceListsEveryDirective) {
    std::ifstream in(std::string(URINGD_SOURCE_DIR) + "/docs/configuration.md");
    ASSERT_TRUE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string doc = ss.str();
    for (const auto& d : directives()) {
        const std::string row =
            "| `" + std::string(d.key) + "` | " +
            (d.default_text == "(required)" ? "(required)" : "`" + std::string(d.default_text) + "`");
        EXPECT_NE(doc.find(row), std::string::npos) << "docs/configuration.md lacks the row " << row;
    }
}

TEST_F(ConfigTest, TlsListenerNeedsCertificate) {
    const std::string conf = "[[listen]]\naddress = \":443\"\ntls = true\n[[site]]\nroot = \"" + dir_ + "\"\n";
    EXPECT_EQ(error_of(conf), "test.conf:1: a tls listener needs [tls] certificate and key");
    EXPECT_EQ(error_of(conf + "[tls]\ncertificate = \"/nonexistent.pem\"\nkey = \"/nonexistent.key\"\n"),
              "test.conf:7: certificate \"/nonexistent.pem\": No such file or directory");
    std::ofstream(dir_ + "/c") << "x";
    EXPECT_EQ(error_of(conf + "[tls]\ncertificate = \"" + dir_ + "/c\"\n\nkey = \"/nonexistent.key\"\n").substr(0, 40),
              "test.conf:9: key \"/nonexistent.key\": No ");
    EXPECT_EQ(error_of(conf + "[tls]\nmin_version = \"1.1\"\n"),
              "test.conf:7: min_version: expected one of 1.2|1.3, got \"1.1\"");
}

TEST_F(ConfigTest, CertificateBlocks) {
    std::ofstream(dir_ + "/c.pem") << "x";
    EXPECT_EQ(error_of(base() + "[[certificate]]\nserver_names = []\ncertificate = \"c.pem\"\nkey = \"c.pem\"\n"),
              "test.conf:6: server_names must not be empty");
    EXPECT_EQ(error_of(base() + "[[certificate]]\nserver_names = [\"a\"]\ncertificate = \"" + dir_ + "/c.pem\"\n"),
              "test.conf:5: [[certificate]] needs \"key\"");
}

TEST_F(ConfigTest, SitesAfterTheFirstNeedServerNames) {
    EXPECT_EQ(error_of(base() + "[[site]]\nroot = \"" + dir_ + "\"\n"),
              "test.conf:5: [[site]] needs server_names (only the first, the default, may omit them)");
    EXPECT_EQ(error_of(base() + "[[site]]\nroot = \"" + dir_ + "\"\nserver_names = [\"b.test\", \"*.c.test\"]\n"), "");
    EXPECT_EQ(error_of(base() + "server_names = [\"a.test:80\"]\n"),
              "test.conf:5: server name \"a.test:80\" must be a host name without port");
}

TEST_F(ConfigTest, TwoSitesCannotShareAServerName) {
    const std::string site = "[[site]]\nroot = \"" + dir_ + "\"\n";
    // Case and a trailing dot do not make another name (Host matching ignores both).
    for (const auto& [other, named] : {std::pair{"a.test", "a.test"}, {"A.Test", "A.Test"}, {"a.test.", "a.test"}})
        EXPECT_EQ(
            error_of(base() + "server_names = [\"x.test\", \"a.test\"]\n" + site + "server_names = [\"" + other +
                     "\"]\n"),
            std::string("test.conf:6: server name \"") + named + "\" is also a name of the [[site]] at test.conf:3")
            << other;
    EXPECT_EQ(error_of(base() + "server_names = [\"a.test\"]\n" + site + "server_names = [\"*.a.test\"]\n"), "");
    const Config c = load_text(base() + "server_names = [\"Example.com.\"]\n", "test.conf");
    EXPECT_EQ(c.sites[0].server_names, (std::vector<std::string>{"Example.com"}));
    std::ofstream(dir_ + "/c.pem") << "x";
    const Config with_cert = load_text(base() +
                                           "[[certificate]]\nserver_names = [\"b.test.\", \"*.c.test\"]\n"
                                           "certificate = \"" +
                                           dir_ + "/c.pem\"\nkey = \"" + dir_ + "/c.pem\"\n",
                                       "test.conf");
    EXPECT_EQ(with_cert.certificates[0].server_names, (std::vector<std::string>{"b.test", "*.c.test"}));
}

TEST_F(ConfigTest, SiteHeaders) {
    const Config c = load_text(base() +
                                   "headers = { X-Frame-Options = \"DENY\" }\nhsts = \"max-age=60\"\n"
                                   "cache_control = [{ match = \"*.css\", value = \"max-age=9\" }]\n",
                               "test.conf");
    ASSERT_EQ(c.sites[0].headers.size(), 1u);
    EXPECT_EQ(c.sites[0].headers[0].name, "X-Frame-Options");
    EXPECT_EQ(c.sites[0].hsts, "max-age=60");
    EXPECT_EQ(c.sites[0].cache_control[0].match, "*.css");
    EXPECT_EQ(error_of(base() + "headers = { Content-Length = \"1\" }\n"),
              "test.conf:5: header \"Content-Length\" is set by uringd itself");
    EXPECT_EQ(error_of(base() + "headers = { \"a b\" = \"1\" }\n"), "test.conf:5: \"a b\" is not a header name");
    EXPECT_EQ(error_of(base() + "hsts = \"x\\r\\nInjected: 1\"\n"),
              "test.conf:5: a header value cannot hold CR, LF or NUL");
    EXPECT_EQ(error_of(base() + "cache_control = [{ match = \"css\", value = \"x\" }]\n"),
              "test.conf:5: match \"css\" must be a path prefix (\"/…\") or an extension (\"*.ext\")");
}

TEST_F(ConfigTest, HttpsRedirectNeedsATlsListener) {
    EXPECT_EQ(error_of("[[listen]]\naddress = \"127.0.0.1:8080\"\nhttps_redirect = true\n[[site]]\nroot = \"" + dir_ +
                       "\"\n"),
              "test.conf:1: https_redirect needs a tls listener to send clients to");
}

TEST_F(ConfigTest, ProxyProtocolNeedsTrustedNetworks) {
    const std::string site = "[[site]]\nroot = \"" + dir_ + "\"\n";
    const auto listen = [](const std::string& keys) { return "[[listen]]\naddress = \"127.0.0.1:8080\"\n" + keys; };
    const Config c =
        load_text(listen("proxy_protocol = true\nproxy_from = [\"10.0.0.0/8\", \"::1\"]\n") + site, "test.conf");
    ASSERT_EQ(c.listen[0].proxy_from.size(), 2u);
    EXPECT_TRUE(c.listen[0].proxy_protocol);
    EXPECT_EQ(c.listen[0].proxy_from[0].prefix, 8u);
    EXPECT_EQ(error_of(listen("proxy_protocol = true\n") + site),
              "test.conf:1: proxy_protocol needs proxy_from: the networks of the balancers that send the header "
              "(anyone else could claim any client address)");
    EXPECT_EQ(error_of(listen("proxy_from = [\"10.0.0.0/8\"]\n") + site),
              "test.conf:1: proxy_from is set but proxy_protocol is not");
    for (const char* bad : {"10.0.0.1/8", "10.0.0.0/33", "example.com", "10.0.0.0/"})
        EXPECT_EQ(error_of(listen("proxy_protocol = true\nproxy_from = [\"" + std::string(bad) + "\"]\n") + site),
                  "test.conf:4: proxy_from: invalid network \"" + std::string(bad) +
                      "\" (expected an address or address/prefix)");
    EXPECT_EQ(error_of(listen("proxy_protocol = \"yes\"\n") + site),
              "test.conf:3: proxy_protocol: expected true or false, got a string \"yes\"");
}

TEST_F(ConfigTest, ErrorPages) {
    const Config c = load_text(base() + "error_pages = { 404 = \"/e/404.html\", 503 = \"/busy.html\" }\n", "test.conf");
    ASSERT_EQ(c.sites[0].error_pages.size(), 2u);
    EXPECT_EQ(c.sites[0].error_pages[0].path, "e/404.html");
    EXPECT_EQ(error_of(base() + "error_pages = { 200 = \"/x.html\" }\n"),
              "test.conf:5: \"200\" is not an error status (400-599)");
    EXPECT_EQ(error_of(base() + "error_pages = { 404 = \"/../x.html\" }\n"),
              "test.conf:5: error page \"/../x.html\" must be a file path under the root, like \"/404.html\"");
}

TEST_F(ConfigTest, AtMost255Sites) {
    std::string text = base();
    for (int i = 1; i < 256; ++i)
        text += "[[site]]\nroot = \"" + dir_ + "\"\nserver_names = [\"s" + std::to_string(i) + ".test\"]\n";
    EXPECT_EQ(error_of(text), "test.conf:767: at most 255 [[site]] blocks");
}

TEST_F(ConfigTest, IncludeAddsSitesAfterTheConfsOwnInOrder) {
    mkdir((dir_ + "/sites.d").c_str(), 0755);
    mkdir((dir_ + "/www-b").c_str(), 0755);
    std::ofstream(dir_ + "/sites.d/20-b.conf") << "[[site]]\nserver_names = [\"b.test\"]\nroot = \"../www-b\"\n";
    std::ofstream(dir_ + "/sites.d/10-a.conf") << "[[site]]\nserver_names = [\"a.test\"]\nroot = \"" << dir_ << "\"\n"
                                               << "access_log = \"a.log\"\n";
    std::ofstream(dir_ + "/sites.d/README") << "not a conf";
    const std::string main = dir_ + "/main.conf";
    std::ofstream(main) << "include = \"sites.d/*.conf\"\n" << base();
    const Config c = load_file(main);
    ASSERT_EQ(c.sites.size(), 3u);
    EXPECT_TRUE(c.sites[0].server_names.empty());  // the conf's own, still the default
    EXPECT_EQ(c.sites[1].server_names[0], "a.test");
    EXPECT_EQ(c.sites[2].server_names[0], "b.test");
    EXPECT_EQ(c.sites[2].root, dir_ + "/sites.d/../www-b");  // relative to the file that names it
    EXPECT_EQ(c.sites[1].access_log, dir_ + "/sites.d/a.log");
    EXPECT_EQ(c.included, (std::vector<std::string>{dir_ + "/sites.d/10-a.conf", dir_ + "/sites.d/20-b.conf"}));
    const std::string dump = effective_text(c);
    EXPECT_NE(dump.find("# with the blocks of " + dir_ + "/sites.d/20-b.conf"), std::string::npos);
    EXPECT_NE(dump.find("'b.test'"), std::string::npos) << dump;
}

TEST_F(ConfigTest, IncludeErrorsNameTheIncludedFile) {
    mkdir((dir_ + "/sites.d").c_str(), 0755);
    const std::string main = dir_ + "/main.conf";
    auto error_in = [&](const std::string& included, const std::string& include_line) {
        std::ofstream(dir_ + "/sites.d/x.conf") << included;
        std::ofstream(main) << include_line << base();
        try {
            load_file(main);
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    const std::string x = dir_ + "/sites.d/x.conf";
    EXPECT_EQ(error_in("[[site]]\nserver_names = [\"x\"]\n\nroot = 5\n", "include = \"sites.d/*.conf\"\n"),
              x + ":4: root: expected a string, got an integer 5");
    EXPECT_EQ(
        error_in("[[site]]\nserver_names = [\"x\"]\nroot = \"/nonexistent\"\n", "include = [\"sites.d/x.conf\"]\n"),
        x + ":3: root \"/nonexistent\": No such file or directory");
    EXPECT_EQ(error_in("[[site]]\nroot = \"/tmp\"\n", "include = \"sites.d/*.conf\"\n"),
              x + ":1: [[site]] needs server_names (only the first, the default, may omit them)");
    EXPECT_EQ(error_in("[server]\nworkers = 2\n", "include = \"sites.d/*.conf\"\n"),
              x + ":1: \"server\": an included file holds only [[site]] and [[certificate]] blocks");
    EXPECT_EQ(error_in("[[site]\n", "include = \"sites.d/*.conf\"\n").substr(0, x.size() + 3), x + ":1:");
    EXPECT_EQ(error_in("", "include = \"sites.d/missing.conf\"\n"),
              main + ":1: include \"" + dir_ + "/sites.d/missing.conf\": No such file or directory");
    EXPECT_EQ(error_in("", "include = \"nothing.d/*.conf\"\n"), "");  // a glob may match nothing
    EXPECT_EQ(error_in("", "include = \"/dev/zer[o]\"\n"), main + ":1: include \"/dev/zero\": not a regular file");
    EXPECT_EQ(error_in("", "include = \"/dev/null\"\n"), main + ":1: include \"/dev/null\": not a regular file");
    EXPECT_EQ(error_in("", "include = 3\n"),
              main + ":1: include: expected a path or glob, or an array of them, got an integer 3");
    // TOML puts a key after [[site]] into that site: say where include belongs.
    std::ofstream(main) << base() << "include = \"sites.d/*.conf\"\n";
    try {
        load_file(main);
        ADD_FAILURE() << "loaded";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()), main +
                                             ":5: include must come before the first [section] (in TOML a key "
                                             "belongs to the table above it)");
    }
}
