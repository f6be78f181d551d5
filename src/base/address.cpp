#include <uringd/base/address.hpp>

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace uringd {

namespace {

std::optional<uint16_t> parse_port(std::string_view s) {
    unsigned v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || v > 65535 || s.empty()) return std::nullopt;
    return static_cast<uint16_t>(v);
}

}  // namespace

std::optional<SocketAddress> parse_address(std::string_view text) {
    std::string host;
    std::string_view port_text = text;
    if (text.starts_with('[')) {
        const auto close = text.find(']');
        if (close == std::string_view::npos || text.substr(close + 1, 1) != ":") return std::nullopt;
        host = text.substr(1, close - 1);
        port_text = text.substr(close + 2);
    } else if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
        host = text.substr(0, colon);
        if (host.find(':') != std::string::npos) return std::nullopt;  // v6 needs brackets
        port_text = text.substr(colon + 1);
    }
    const auto port = parse_port(port_text);
    if (!port) return std::nullopt;

    SocketAddress a;
    if (host.empty() || host.find(':') != std::string::npos) {
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(*port);
        if (host.empty()) v6->sin6_addr = in6addr_any;
        else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) != 1) return std::nullopt;
        a.length = sizeof(sockaddr_in6);
    } else {
        auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
        v4->sin_family = AF_INET;
        v4->sin_port = htons(*port);
        if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) != 1) return std::nullopt;
        a.length = sizeof(sockaddr_in);
    }
    return a;
}

namespace {

bool is_wildcard(const SocketAddress& a) {
    if (a.family() == AF_INET6)
        return IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(&a.storage)->sin6_addr);
    return reinterpret_cast<const sockaddr_in*>(&a.storage)->sin_addr.s_addr == htonl(INADDR_ANY);
}

bool same_host(const SocketAddress& a, const SocketAddress& b) {
    if (a.family() != b.family()) return false;
    if (a.family() == AF_INET6)
        return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(&a.storage)->sin6_addr,
                           &reinterpret_cast<const sockaddr_in6*>(&b.storage)->sin6_addr, sizeof(in6_addr)) == 0;
    return reinterpret_cast<const sockaddr_in*>(&a.storage)->sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in*>(&b.storage)->sin_addr.s_addr;
}

}  // namespace

bool overlaps(const SocketAddress& a, const SocketAddress& b) {
    if (a.port() != b.port()) return false;
    if (same_host(a, b)) return true;
    const bool a_any = is_wildcard(a), b_any = is_wildcard(b);
    if (a_any && (a.family() == b.family() || a.family() == AF_INET6)) return true;
    return b_any && (a.family() == b.family() || b.family() == AF_INET6);
}

uint16_t SocketAddress::port() const {
    if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
}

std::string SocketAddress::to_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (family() == AF_INET6) {
        const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&storage);
        inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof buf);
        return "[" + std::string(buf) + "]:" + std::to_string(ntohs(v6->sin6_port));
    }
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&storage);
    inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(v4->sin_port));
}

std::size_t host_text(const sockaddr_storage& ss, std::span<char> out) {
    const void* addr = nullptr;
    if (ss.ss_family == AF_INET) addr = &reinterpret_cast<const sockaddr_in&>(ss).sin_addr;
    else if (ss.ss_family == AF_INET6) addr = &reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr;
    if (!addr || !::inet_ntop(ss.ss_family, addr, out.data(), static_cast<socklen_t>(out.size()))) return 0;
    return std::strlen(out.data());
}

std::optional<Network> parse_network(std::string_view text) {
    const auto slash = text.find('/');
    const std::string host(text.substr(0, slash));
    Network n;
    if (::inet_pton(AF_INET, host.c_str(), n.bytes) == 1) n.family = AF_INET;
    else if (::inet_pton(AF_INET6, host.c_str(), n.bytes) == 1) n.family = AF_INET6;
    else return std::nullopt;
    const unsigned max = n.family == AF_INET ? 32 : 128;
    n.prefix = max;
    if (slash != std::string_view::npos) {
        const std::string_view p = text.substr(slash + 1);
        const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), n.prefix);
        if (p.empty() || ec != std::errc{} || end != p.data() + p.size() || n.prefix > max) return std::nullopt;
    }
    for (unsigned bit = n.prefix; bit < max; ++bit)
        if (n.bytes[bit / 8] & (0x80 >> (bit % 8))) return std::nullopt;
    return n;
}

bool contains(const Network& net, const sockaddr_storage& peer) {
    const unsigned char* addr = nullptr;
    int family = peer.ss_family;
    if (family == AF_INET) {
        addr = reinterpret_cast<const unsigned char*>(&reinterpret_cast<const sockaddr_in&>(peer).sin_addr);
    } else if (family == AF_INET6) {
        const auto& a6 = reinterpret_cast<const sockaddr_in6&>(peer).sin6_addr;
        addr = a6.s6_addr;
        if (IN6_IS_ADDR_V4MAPPED(&a6)) {
            family = AF_INET;
            addr += 12;
        }
    }
    if (!addr || family != net.family) return false;
    const unsigned whole = net.prefix / 8, rest = net.prefix % 8;
    if (std::memcmp(addr, net.bytes, whole) != 0) return false;
    if (rest == 0) return true;
    const auto mask = static_cast<unsigned char>(0xFF << (8 - rest));
    return (addr[whole] & mask) == (net.bytes[whole] & mask);
}

}  // namespace uringd
