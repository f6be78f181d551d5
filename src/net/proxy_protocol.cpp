#include <uringd/net/proxy_protocol.hpp>

#include <uringd/base/address.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace uringd::net {

namespace {

using Result = ProxyParse::Result;

constexpr std::string_view kV1Prefix = "PROXY ";
constexpr std::size_t kV1Max = 107;  // the spec's bound, CRLF included
constexpr unsigned char kV2Signature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

ProxyParse invalid(std::string_view why) {
    ProxyParse p;
    p.result = Result::Invalid;
    p.error = why;
    return p;
}

// True while `bytes` may still grow into `prefix` (or already holds it).
bool may_be(std::span<const char> bytes, const void* prefix, std::size_t n) {
    return std::memcmp(bytes.data(), prefix, std::min(bytes.size(), n)) == 0;
}

bool parse_port(std::string_view s, uint16_t& out) {
    if (s.empty() || s.size() > 5 || (s.size() > 1 && s[0] == '0')) return false;
    unsigned v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || v > 65535) return false;
    out = static_cast<uint16_t>(v);
    return true;
}

// A sockaddr_in or sockaddr_in6 from the address's bytes (4 or 16) and the port's
// two bytes in network order, as v2 carries them.
void set_address(sockaddr_storage& out, int family, const void* addr, const void* port) {
    out = {};
    if (family == AF_INET) {
        auto& a = reinterpret_cast<sockaddr_in&>(out);
        a.sin_family = AF_INET;
        std::memcpy(&a.sin_addr, addr, 4);
        std::memcpy(&a.sin_port, port, 2);
    } else {
        auto& a = reinterpret_cast<sockaddr_in6&>(out);
        a.sin6_family = AF_INET6;
        std::memcpy(&a.sin6_addr, addr, 16);
        std::memcpy(&a.sin6_port, port, 2);
    }
}

bool parse_ip(int family, std::string_view s, uint16_t port, sockaddr_storage& out) {
    char text[INET6_ADDRSTRLEN] = {};
    unsigned char addr[16];
    if (s.empty() || s.size() >= sizeof text) return false;
    std::memcpy(text, s.data(), s.size());
    if (::inet_pton(family, text, addr) != 1) return false;
    const uint16_t port_be = htons(port);
    set_address(out, family, addr, &port_be);
    return true;
}

// "PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222\r\n", "PROXY TCP6 ...", "PROXY UNKNOWN...\r\n".
ProxyParse parse_v1(std::span<const char> bytes) {
    const std::string_view all(bytes.data(), std::min(bytes.size(), kV1Max));
    const auto cr = all.find_first_of("\r\n");
    if (cr == std::string_view::npos)
        return bytes.size() >= kV1Max ? invalid("v1: no CRLF within 107 bytes") : ProxyParse{};
    if (all[cr] == '\n') return invalid("v1: bare LF");
    if (cr + 1 == all.size()) return all.size() == kV1Max ? invalid("v1: no CRLF within 107 bytes") : ProxyParse{};
    if (all[cr + 1] != '\n') return invalid("v1: CR without LF");
    const std::string_view line = all.substr(kV1Prefix.size(), cr - kV1Prefix.size());
    ProxyParse p;
    p.result = Result::Done;
    p.length = cr + 2;
    if (line.starts_with("UNKNOWN")) return p;  // the rest of the line is ignored, per the spec
    std::string_view parts[5];
    std::size_t n = 0, start = 0;
    for (std::size_t i = 0; i <= line.size(); ++i) {
        if (i < line.size() && line[i] != ' ') continue;
        if (n == 5) return invalid("v1: too many fields");
        parts[n++] = line.substr(start, i - start);
        start = i + 1;
    }
    if (n != 5) return invalid("v1: expected PROXY TCP4|TCP6 SRC DST SPORT DPORT");
    int family = 0;
    if (parts[0] == "TCP4") family = AF_INET;
    else if (parts[0] == "TCP6") family = AF_INET6;
    else return invalid("v1: protocol is not TCP4, TCP6 or UNKNOWN");
    uint16_t sport = 0, dport = 0;
    if (!parse_port(parts[3], sport) || !parse_port(parts[4], dport)) return invalid("v1: bad port");
    if (!parse_ip(family, parts[1], sport, p.info.client) || !parse_ip(family, parts[2], dport, p.info.destination))
        return invalid("v1: address does not match the protocol");
    p.info.has_client = true;
    return p;
}

uint16_t be16(const unsigned char* b) { return static_cast<uint16_t>(b[0] << 8 | b[1]); }

bool parse_tlvs(const unsigned char* b, std::size_t n, ProxyInfo& info) {
    while (n > 0) {
        if (n < 3) return false;
        const unsigned type = b[0];
        const std::size_t len = be16(b + 1);
        if (len > n - 3) return false;
        const std::string_view value(reinterpret_cast<const char*>(b + 3), len);
        switch (type) {
        case 0x01: info.alpn = value; break;
        case 0x02: info.authority = value; break;
        case 0x05:
            if (len > 128) return false;  // the spec's bound for the unique id
            info.unique_id = value;
            break;
        default: break;  // CRC32C, NOOP, SSL, NETNS, custom: skipped
        }
        b += 3 + len;
        n -= 3 + len;
    }
    return true;
}

ProxyParse parse_v2(std::span<const char> bytes) {
    if (bytes.size() < 16) return {};
    const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
    if ((b[12] >> 4) != 2) return invalid("v2: version is not 2");
    const unsigned command = b[12] & 0x0F;
    if (command > 1) return invalid("v2: command is neither LOCAL nor PROXY");
    const unsigned family = b[13] >> 4, transport = b[13] & 0x0F;
    const std::size_t len = be16(b + 14);
    if (16 + len > kMaxProxyHeader) return invalid("v2: header longer than 1024 bytes");
    if (bytes.size() < 16 + len) return {};
    ProxyParse p;
    p.result = Result::Done;
    p.length = 16 + len;
    if (family > 3 || transport > 2) return invalid("v2: unknown address family or transport");
    std::size_t addr_len = 0;
    if (family == 1) addr_len = 12;
    else if (family == 2) addr_len = 36;
    else if (family == 3) addr_len = 216;
    if (len < addr_len) return invalid("v2: address block longer than the header");
    if (family == 0) return p;  // UNSPEC: what follows is unknown, and ignored (the spec)
    if (!parse_tlvs(b + 16 + addr_len, len - addr_len, p.info)) return invalid("v2: malformed TLV");
    // LOCAL (health checks), UNSPEC and UNIX: the connection's own peer stands.
    if (command == 0 || family == 0 || family == 3) return p;
    if (transport != 1) return invalid("v2: transport is not STREAM");
    // source address, destination address, source port, destination port
    const unsigned char* a = b + 16;
    const int af = family == 1 ? AF_INET : AF_INET6;
    const std::size_t n = family == 1 ? 4 : 16;
    set_address(p.info.client, af, a, a + 2 * n);
    set_address(p.info.destination, af, a + n, a + 2 * n + 2);
    p.info.has_client = true;
    return p;
}

}  // namespace

ProxyParse parse_proxy_header(std::span<const char> bytes) {
    if (bytes.empty()) return {};
    if (may_be(bytes, kV1Prefix.data(), kV1Prefix.size()))
        return bytes.size() < kV1Prefix.size() ? ProxyParse{} : parse_v1(bytes);
    if (may_be(bytes, kV2Signature, sizeof kV2Signature))
        return bytes.size() < sizeof kV2Signature ? ProxyParse{} : parse_v2(bytes);
    return invalid("no PROXY protocol header");
}

std::string address_text(const sockaddr_storage& ss) {
    char text[INET6_ADDRSTRLEN] = {};
    return std::string(text, host_text(ss, text));
}

}  // namespace uringd::net
