// HTTP/2 frames into a real Worker: one worker runs on its own thread for the whole
// fuzzing session (a site with small and large files, a directory, an error page);
// each input is sent after the client preface and an empty SETTINGS frame on a new
// h2c connection, whatever the worker answers is read until it closes or goes quiet,
// and the connection is then reset. ASan and UBSan watch the worker thread; at exit
// the worker must drain.
#include <uringd/base/address.hpp>
#include <uringd/config/config.hpp>
#include <uringd/net/listener.hpp>
#include <uringd/server/worker.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>

namespace {

using namespace uringd;

struct Fixture {
    Fixture() {
        char tmpl[] = "/tmp/uringd-h2fuzz-XXXXXX";
        if (!::mkdtemp(tmpl)) std::abort();
        root = tmpl;
        std::filesystem::create_directories(root + "/dir");
        std::filesystem::create_directories(root + "/errors");
        std::ofstream(root + "/index.html") << "<h1>home</h1>\n";
        std::ofstream(root + "/errors/404.html") << "<p>missing</p>\n";
        std::ofstream(root + "/big.bin", std::ios::binary) << std::string(300000, 'b');
        std::ofstream(root + "/a.css") << "body{}";
        std::ofstream(root + "/a.css.gz") << "gz";
        const std::string text =
            "[server]\nallow_root = true\nmime_types = \"/nonexistent\"\n"
            "[limits]\nsend_timeout_ms = 2000\nkeepalive_timeout_ms = 2000\n"
            "[[listen]]\naddress = \"127.0.0.1:1\"\n"
            "[[site]]\nroot = \"" +
            root +
            "\"\nprecompressed = true\nlisting = true\n"
            "error_pages = { 404 = \"/errors/404.html\" }\n";
        conf = config::load_text(text, "h2fuzz.conf");
        ctx = std::make_unique<server::ServerContext>(
            server::ServerContext{conf, {}, server::open_sites(conf), nullptr, false});
        std::vector<UniqueFd> listeners;
        listeners.push_back(net::open_listener(*parse_address("127.0.0.1:0"), {}));
        sockaddr_in a{};
        socklen_t len = sizeof a;
        ::getsockname(listeners[0].get(), reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
        wake = UniqueFd(::eventfd(0, EFD_CLOEXEC));
        std::promise<void> ready;
        auto started = ready.get_future();
        done = std::async(std::launch::async, [this, socks = std::move(listeners), &ready]() mutable {
            server::Worker w(*ctx, server::WorkerOptions{0, -1, -1, wake.get()}, std::move(socks));
            w.start();
            ready.set_value();
            w.run();
        });
        started.get();
    }

    // At exit, a drain as SIGTERM asks for: the worker must free every slot and stop,
    // whatever the inputs left behind.
    ~Fixture() {
        const uint64_t one = 1;
        if (::write(wake.get(), &one, sizeof one) != sizeof one ||
            done.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
            std::fprintf(stderr, "h2_fuzz: the worker did not drain: a connection slot was left behind\n");
            std::abort();
        }
        std::filesystem::remove_all(root);
    }

    // The worker stopped listening: say why (its exception, if it threw) and stop.
    [[noreturn]] void worker_gone(int err) {
        std::fprintf(stderr, "h2_fuzz: connect: %s\n", std::strerror(err));
        if (done.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
            try {
                done.get();
                std::fprintf(stderr, "h2_fuzz: the worker returned\n");
            } catch (const std::exception& e) {
                std::fprintf(stderr, "h2_fuzz: the worker threw: %s\n", e.what());
            }
        }
        std::abort();
    }

    std::string root;
    config::Config conf;
    std::unique_ptr<server::ServerContext> ctx;
    uint16_t port = 0;
    UniqueFd wake;
    std::future<void> done;
};

Fixture& fixture() {
    static Fixture f;
    return f;
}

// Reads what the worker sends until it closes, or is quiet for 5 ms (a stream
// waiting for a window the input never opened).
void drain(int fd) {
    char buf[65536];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        const int ready = ::poll(&p, 1, 5);
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return;
        const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN)) return;
    }
}

// A blocking connect that a signal interrupts (libFuzzer's timeout timer raises
// SIGALRM every few seconds) returns EINTR while the handshake goes on: wait for it.
bool connect_loopback(int fd, uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return true;
    if (errno != EINTR) return false;
    pollfd p{fd, POLLOUT, 0};
    while (::poll(&p, 1, -1) < 0)
        if (errno != EINTR) return false;
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return false;
    errno = err;
    return err == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Fixture& f = fixture();
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!connect_loopback(fd.get(), f.port)) f.worker_gone(errno);
    static const std::string kStart = std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") +
                                      std::string("\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9);  // SETTINGS {}
    std::string bytes = kStart;
    bytes.append(reinterpret_cast<const char*>(data), size);
    std::size_t off = 0;
    while (off < bytes.size()) {
        const ssize_t n = ::send(fd.get(), bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
        if (n <= 0) break;  // the worker already closed
        off += static_cast<std::size_t>(n);
    }
    ::shutdown(fd.get(), SHUT_WR);  // the worker closes once its streams are done
    drain(fd.get());
    const linger hard{1, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    return 0;
}
