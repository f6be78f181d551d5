#pragma once
// "host:port" / "[v6]:port" / ":port" / "port" → sockaddr. Pure (inet_pton only).
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace uringd {

struct SocketAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;

    int family() const { return storage.ss_family; }
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
    std::string to_string() const;
    uint16_t port() const;
};

// True when one socket bound to `a` would take connections meant for `b` or the
// other way round: same port, and the same host or a wildcard covering the other
// ("[::]" is dual-stack, so it covers IPv4 too).
bool overlaps(const SocketAddress& a, const SocketAddress& b);

// Numeric addresses only (no DNS at start-up). An empty host means all IPv6 and
// IPv4 addresses ("[::]" dual-stack).
std::optional<SocketAddress> parse_address(std::string_view text);

// The host part of a sockaddr_in/sockaddr_in6 as text ("192.0.2.7", "2001:db8::7"),
// written into `out`; its length, 0 for another family or a buffer too small.
std::size_t host_text(const sockaddr_storage& ss, std::span<char> out);

// An address block, "10.0.0.0/8", "fd00::/8" or one host ("192.0.2.7", "::1").
struct Network {
    int family = 0;  // AF_INET or AF_INET6
    unsigned char bytes[16] = {};
    unsigned prefix = 0;
};

// Numeric only; bits set past the prefix are refused (a typo, not a network).
std::optional<Network> parse_network(std::string_view text);

// Whether `peer` (a sockaddr_in or sockaddr_in6, IPv4-mapped IPv6 counting as IPv4)
// lies inside `net`.
bool contains(const Network& net, const sockaddr_storage& peer);

}  // namespace uringd
