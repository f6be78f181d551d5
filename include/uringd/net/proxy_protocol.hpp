#pragma once
// The PROXY protocol header (haproxy's spec, versions 1 and 2) that a load balancer
// sends before the client's bytes: who the client is. Pure: bytes in, a verdict out.
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace uringd::net {

// Longest header taken: a v1 line is at most 107 bytes; v2 carries TLVs, and what
// haproxy sends (ALPN, authority, unique id, SSL facts) fits well inside this.
inline constexpr std::size_t kMaxProxyHeader = 1024;

struct ProxyInfo {
    // False for LOCAL (the balancer's own health checks), v1 UNKNOWN and v2 UNSPEC or
    // UNIX families: the connection's own peer address stands.
    bool has_client = false;
    sockaddr_storage client{};       // AF_INET or AF_INET6, with the port
    sockaddr_storage destination{};  // what the client connected to
    // v2 TLVs that haproxy sends, as views into the parsed bytes (no copies: the
    // worker does not keep them); others (CRC32C, NOOP, SSL, NETNS) are skipped.
    std::string_view alpn;
    std::string_view authority;
    std::string_view unique_id;
};

struct ProxyParse {
    enum class Result : uint8_t { NeedMore, Done, Invalid };
    Result result = Result::NeedMore;
    std::size_t length = 0;  // Done: the header's bytes; what follows is the client's
    ProxyInfo info;
    std::string_view error;  // Invalid: why (a static string)
};

// Reads the header at the start of `bytes` (all that arrived so far). NeedMore
// until a whole header, or a byte that cannot begin or continue one, is seen.
ProxyParse parse_proxy_header(std::span<const char> bytes);

// "a.b.c.d" / "x:y::z" without the port (for log lines; host_text writes in place).
std::string address_text(const sockaddr_storage& ss);

}  // namespace uringd::net
