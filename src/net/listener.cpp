#include <uringd/base/error.hpp>
#include <uringd/net/listener.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>

namespace uringd::net {

namespace {

void set_int(int fd, int level, int name, int value, const SocketAddress& addr, const char* what) {
    if (::setsockopt(fd, level, name, &value, sizeof value) < 0)
        throw_errno(errno, fmt::format("listen {}: {}", addr.to_string(), what));
}

}  // namespace

UniqueFd open_listener(const SocketAddress& addr, const ListenOptions& opts) {
    UniqueFd fd(::socket(addr.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw_errno(errno, fmt::format("listen {}: socket", addr.to_string()));
    set_int(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1, addr, "SO_REUSEADDR");
    set_int(fd.get(), SOL_SOCKET, SO_REUSEPORT, 1, addr, "SO_REUSEPORT");
    if (addr.family() == AF_INET6) set_int(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 0, addr, "IPV6_V6ONLY");
    if (opts.incoming_cpu >= 0)
        set_int(fd.get(), SOL_SOCKET, SO_INCOMING_CPU, opts.incoming_cpu, addr, "SO_INCOMING_CPU");
    if (::bind(fd.get(), addr.get(), addr.length) < 0)
        throw_errno(errno, fmt::format("listen {}: bind", addr.to_string()));
    if (::listen(fd.get(), opts.backlog) < 0) throw_errno(errno, fmt::format("listen {}: listen", addr.to_string()));
    return fd;
}

void check_address_free(const SocketAddress& addr) {
    UniqueFd fd(::socket(addr.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw_errno(errno, fmt::format("listen {}: socket", addr.to_string()));
    set_int(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1, addr, "SO_REUSEADDR");  // TIME_WAIT is no owner
    if (addr.family() == AF_INET6) set_int(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 0, addr, "IPV6_V6ONLY");
    if (::bind(fd.get(), addr.get(), addr.length) == 0) return;
    if (errno == EADDRINUSE)
        fail(
            "listen {}: bind: Address already in use (another process listens there: is uringd already "
            "running?)",
            addr.to_string());
    throw_errno(errno, fmt::format("listen {}: bind", addr.to_string()));
}

void tune_accepted(int fd) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace uringd::net
