// The middle level: a real Worker (its ring, slab, units) on its own thread in this
// process, driven through loopback sockets, for the paths that are hard to hit
// through the binary: pipelining order, an error page that is itself missing, a
// sidecar probe that fails, resets while opens are in flight, a body whose file
// shrinks under a splice. Every test ends with a drain: the worker must free every
// slot and return from run(), or the test fails.
#include <uringd/base/address.hpp>
#include <uringd/config/config.hpp>
#include <uringd/net/listener.hpp>
#include <uringd/server/worker.hpp>

#include "../support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace uringd::server {
namespace {

namespace fsys = std::filesystem;
using namespace std::chrono_literals;

// As the daemon does (daemon/signals.cpp): a sendfile to a reset peer raises SIGPIPE.
[[maybe_unused]] const bool kSigpipeIgnored = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
}();

struct Response {
    int status = 0;
    std::string head;
    std::string body;
};

// A blocking client socket with a timeout, so a hang fails instead of blocking.
class Client {
public:
    explicit Client(uint16_t port, int rcvbuf = 0) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        const timeval tv{10, 0};
        ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (rcvbuf > 0) ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    bool connected() const { return connected_; }
    void send(const std::string& s) {
        ASSERT_EQ(::send(fd_.get(), s.data(), s.size(), MSG_NOSIGNAL), ssize_t(s.size()));
    }
    // Closes with a reset (SO_LINGER 0) instead of a FIN.
    void reset() {
        const linger hard{1, 0};
        ::setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
        fd_.reset();
    }
    // One response: the head, then Content-Length bytes (none for HEAD / 304).
    Response read(bool head_only = false) {
        Response r;
        std::size_t end;
        while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
            if (!fill()) return r;
        r.head = buf_.substr(0, end + 4);
        buf_.erase(0, end + 4);
        r.status = std::atoi(r.head.c_str() + 9);
        std::size_t length = 0;
        if (const auto p = r.head.find("\r\nContent-Length: "); p != std::string::npos)
            length = std::strtoull(r.head.c_str() + p + 18, nullptr, 10);
        if (head_only) length = 0;
        while (buf_.size() < length)
            if (!fill()) break;
        r.body = buf_.substr(0, std::min(length, buf_.size()));
        buf_.erase(0, r.body.size());
        return r;
    }
    // Reads to EOF (or the timeout); returns how many bytes came.
    std::size_t drain() {
        std::size_t n = buf_.size();
        buf_.clear();
        char tmp[65536];
        for (;;) {
            const ssize_t got = ::recv(fd_.get(), tmp, sizeof tmp, 0);
            if (got <= 0) return n;
            n += static_cast<std::size_t>(got);
        }
    }
    // True when the server closed the connection (EOF or reset) before the timeout.
    bool closed_by_server() {
        char c;
        const ssize_t got = ::recv(fd_.get(), &c, 1, 0);
        return got == 0 || (got < 0 && errno == ECONNRESET);
    }

private:
    bool fill() {
        char tmp[65536];
        const ssize_t got = ::recv(fd_.get(), tmp, sizeof tmp, 0);
        if (got <= 0) return false;
        buf_.append(tmp, static_cast<std::size_t>(got));
        return true;
    }

    UniqueFd fd_;
    bool connected_ = false;
    std::string buf_;
};

class WorkerTest : public ::testing::Test {
protected:
    void TearDown() override { stop(); }

    void write(const std::string& name, const std::string& content) {
        fsys::create_directories((fsys::path(root_) / name).parent_path());
        std::ofstream(fsys::path(root_) / name, std::ios::binary) << content;
    }

    // Starts one worker for a site over root_, with `site_extra` in its [[site]] and
    // `top_extra` before the tables.
    void start(const std::string& site_extra = "", const std::string& io_uring_extra = "") {
        const std::string text =
            "[server]\nallow_root = true\nmime_types = \"/nonexistent\"\n"
            "[io_uring]\n" +
            io_uring_extra +
            "\n[[listen]]\naddress = \"127.0.0.1:1\"\n"
            "[[site]]\nroot = \"" +
            root_ + "\"\n" + site_extra + "\n";
        conf_ = config::load_text(text, "inproc.conf");
        ctx_ = std::make_unique<ServerContext>(ServerContext{conf_, {}, open_sites(conf_), nullptr, false});
        std::vector<UniqueFd> listeners;
        listeners.push_back(net::open_listener(*parse_address("127.0.0.1:0"), {}));
        sockaddr_in a{};
        socklen_t len = sizeof a;
        ASSERT_EQ(::getsockname(listeners[0].get(), reinterpret_cast<sockaddr*>(&a), &len), 0);
        port_ = ntohs(a.sin_port);
        wake_ = UniqueFd(::eventfd(0, EFD_CLOEXEC));
        std::promise<std::string> ready;
        auto started = ready.get_future();
        done_ =
            std::async(std::launch::async, [this, socks = std::move(listeners), ready = std::move(ready)]() mutable {
                try {
                    Worker w(*ctx_, WorkerOptions{0, -1, -1, wake_.get()}, std::move(socks));
                    w.start();
                    ready.set_value({});
                    w.run();
                    return w.counters();
                } catch (const std::exception& e) {
                    ready.set_value(e.what());
                    return WorkerCounters{};
                }
            });
        ASSERT_EQ(started.get(), "");
    }

    // Asks for a drain (as SIGTERM does) and waits for run() to return: every slot
    // must be freed. The worker's counters, once it has stopped.
    WorkerCounters stop() {
        if (!done_.valid()) return {};
        const uint64_t one = 1;
        EXPECT_EQ(::write(wake_.get(), &one, sizeof one), ssize_t(sizeof one));
        if (done_.wait_for(40s) != std::future_status::ready) {
            ADD_FAILURE() << "the worker did not drain: a connection slot was left behind";
            std::abort();  // the thread still uses this fixture
        }
        return done_.get();
    }

    uringd::testing::TempDir tmp_{"uringd-inproc"};
    const std::string root_ = tmp_.path();
    uint16_t port_ = 0;
    config::Config conf_;
    std::unique_ptr<ServerContext> ctx_;
    UniqueFd wake_;
    std::future<WorkerCounters> done_;
};

std::string get(const std::string& path, const std::string& extra = "") {
    return "GET " + path + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n";
}

TEST_F(WorkerTest, PipelinedRequestsAreAnsweredInOrder) {
    write("a.txt", "A");
    write("b.txt", "BB");
    start();
    Client c(port_);
    ASSERT_TRUE(c.connected());
    // One write: the worker must answer each in turn, however they were received.
    c.send(get("/a.txt") + get("/missing") + "HEAD /b.txt HTTP/1.1\r\nHost: t\r\n\r\n" + get("/b.txt") + get("/a.txt"));
    Response r = c.read();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "A");
    EXPECT_EQ(c.read().status, 404);
    r = c.read(true);
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.head.find("Content-Length: 2\r\n"), std::string::npos);
    r = c.read();
    EXPECT_EQ(r.body, "BB");
    r = c.read();
    EXPECT_EQ(r.body, "A");
    const WorkerCounters n = stop();
    EXPECT_EQ(n.requests, 5u);
}

TEST_F(WorkerTest, ErrorPageThatIsMissingFallsBackToTheBuiltInOne) {
    write("errors/403.html", "<p>no</p>");
    fsys::create_directory(fsys::path(root_) / "dir");
    start("error_pages = { 404 = \"/errors/404.html\", 403 = \"/errors/403.html\" }");
    Client c(port_);
    ASSERT_TRUE(c.connected());
    c.send(get("/nope") + get("/dir/"));
    Response r = c.read();
    EXPECT_EQ(r.status, 404);
    EXPECT_NE(r.body.find("404"), std::string::npos) << r.body;  // the built-in page
    r = c.read();                                                // a directory without index: the site's own 403 page
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.body, "<p>no</p>");
}

TEST_F(WorkerTest, SidecarThatCannotBeServedFallsBackToThePlainFile) {
    write("app.js", "plain();");
    fsys::create_directory(fsys::path(root_) / "app.js.br");                  // a folder, not a file
    ASSERT_EQ(::mkfifo((fsys::path(root_) / "app.js.gz").c_str(), 0644), 0);  // neither
    write("style.css", "body{}");
    write("style.css.gz", "GZ");
    start("precompressed = true");
    Client c(port_);
    ASSERT_TRUE(c.connected());
    c.send(get("/app.js", "Accept-Encoding: br, gzip\r\n") + get("/style.css", "Accept-Encoding: br, gzip\r\n"));
    Response r = c.read();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "plain();");
    EXPECT_EQ(r.head.find("Content-Encoding"), std::string::npos) << r.head;
    r = c.read();
    EXPECT_EQ(r.body, "GZ");
    EXPECT_NE(r.head.find("Content-Encoding: gzip\r\n"), std::string::npos) << r.head;
}

TEST_F(WorkerTest, ResetsWhileOpensAreInFlightLeaveNothingBehind) {
    constexpr int kFiles = 300;
    for (int i = 0; i < kFiles; ++i) write("f" + std::to_string(i) + ".txt", std::string(100, 'x'));
    start();
    // Each request names a file not yet in the cache, so the worker submits an open
    // and a statx; the reset arrives while they are in flight (or just after).
    for (int i = 0; i < kFiles; ++i) {
        Client c(port_);
        ASSERT_TRUE(c.connected());
        c.send(get("/f" + std::to_string(i) + ".txt"));
        c.reset();
    }
    Client c(port_);
    c.send(get("/f7.txt"));
    EXPECT_EQ(c.read().status, 200);
    const WorkerCounters n = stop();  // fails if a slot stayed busy
    EXPECT_EQ(n.accepted, kFiles + 1u);
}

class ShrinkingBody : public WorkerTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(ShrinkingBody, ClosesTheConnectionAndForgetsTheOldLength) {
    constexpr std::size_t kSize = 8u << 20;
    write("big.bin", std::string(kSize, 'b'));
    start("", std::string("large_body = \"") + GetParam() + "\"\n");
    {
        Client c(port_, 65536);  // a small window: most of the body cannot leave yet
        ASSERT_TRUE(c.connected());
        c.send(get("/big.bin"));
        std::this_thread::sleep_for(200ms);
        ::truncate((fsys::path(root_) / "big.bin").c_str(), 1 << 20);
        const std::size_t got = c.drain();
        EXPECT_LT(got, kSize) << "the whole promised body arrived although the file shrank";
    }
    std::this_thread::sleep_for(1100ms);  // past the cache's valid_ms
    Client again(port_);
    again.send(get("/big.bin"));
    const Response r = again.read();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body.size(), 1u << 20);
}

INSTANTIATE_TEST_SUITE_P(LargeBody, ShrinkingBody, ::testing::Values("sendfile", "mmap", "splice", "read"));

}  // namespace
}  // namespace uringd::server
