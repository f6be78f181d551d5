// PROXY protocol headers (haproxy's spec, v1 and v2) and the networks that may send
// them: every input whole, byte by byte, and with the client's bytes behind it.
#include <uringd/base/address.hpp>
#include <uringd/net/proxy_protocol.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <string>

using namespace uringd;
using net::parse_proxy_header;
using Result = net::ProxyParse::Result;

namespace {

net::ProxyParse parse(const std::string& s) { return parse_proxy_header({s.data(), s.size()}); }

// Every proper prefix needs more (or is already refused, for Invalid inputs), and
// the whole gives `want`.
net::ProxyParse parse_growing(const std::string& s, Result want) {
    for (std::size_t n = 0; n < s.size(); ++n) {
        const auto p = parse(s.substr(0, n));
        if (want == Result::Invalid && p.result == Result::Invalid) return p;
        EXPECT_EQ(p.result, Result::NeedMore) << "prefix of " << n << " bytes";
    }
    const auto p = parse(s);
    EXPECT_EQ(p.result, want) << p.error;
    return p;
}

std::string v2(unsigned char ver_cmd, unsigned char fam, const std::string& body) {
    std::string s("\r\n\r\n\0\r\nQUIT\n", 12);
    s += static_cast<char>(ver_cmd);
    s += static_cast<char>(fam);
    s += static_cast<char>(body.size() >> 8);
    s += static_cast<char>(body.size() & 0xff);
    return s + body;
}

std::string tlv(unsigned char type, const std::string& value) {
    std::string s(1, static_cast<char>(type));
    s += static_cast<char>(value.size() >> 8);
    s += static_cast<char>(value.size() & 0xff);
    return s + value;
}

const std::string kInet4Block("\xc0\x00\x02\x07\x0a\x00\x00\x01\x30\x39\x01\xbb",
                              12);  // 192.0.2.7:12345 → 10.0.0.1:443

}  // namespace

TEST(ProxyV1, Tcp4) {
    const std::string h = "PROXY TCP4 192.0.2.7 10.0.0.1 12345 443\r\n";
    const auto p = parse_growing(h, Result::Done);
    EXPECT_EQ(p.length, h.size());
    ASSERT_TRUE(p.info.has_client);
    EXPECT_EQ(net::address_text(p.info.client), "192.0.2.7");
    EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in&>(p.info.client).sin_port), 12345);
}

TEST(ProxyV1, Tcp6AndTheClientsBytesBehind) {
    const std::string h = "PROXY TCP6 2001:db8::7 2001:db8::1 65535 443\r\n";
    const auto p = parse(h + "GET / HTTP/1.1\r\n");
    ASSERT_EQ(p.result, Result::Done);
    EXPECT_EQ(p.length, h.size());
    EXPECT_EQ(net::address_text(p.info.client), "2001:db8::7");
}

TEST(ProxyV1, UnknownKeepsThePeer) {
    for (const char* s : {"PROXY UNKNOWN\r\n", "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"}) {
        const auto p = parse_growing(s, Result::Done);
        EXPECT_FALSE(p.info.has_client);
    }
}

TEST(ProxyV1, Malformed) {
    for (const char* s : {"PROXY TCP4 192.0.2.7 10.0.0.1 12345 443\n",      // bare LF
                          "PROXY TCP4 192.0.2.7 10.0.0.1 12345 443\rX",     // CR without LF
                          "PROXY TCP4 192.0.2.7  10.0.0.1 12345 443\r\n",   // two spaces
                          "PROXY TCP4 192.0.2.7 10.0.0.1 12345\r\n",        // a field missing
                          "PROXY TCP4 192.0.2.7 10.0.0.1 12345 443 1\r\n",  // one too many
                          "PROXY TCP4 2001:db8::7 10.0.0.1 1 443\r\n",      // v6 address as TCP4
                          "PROXY TCP6 192.0.2.7 2001:db8::1 1 443\r\n",     // v4 address as TCP6
                          "PROXY TCP4 192.0.2.7 10.0.0.1 65536 443\r\n",    // port out of range
                          "PROXY TCP4 192.0.2.7 10.0.0.1 0123 443\r\n",     // leading zero
                          "PROXY TCP4 192.0.2.7 10.0.0.1 -1 443\r\n", "PROXY TCP4 192.0.2.256 10.0.0.1 1 443\r\n",
                          "PROXY UDP4 192.0.2.7 10.0.0.1 1 443\r\n", "PROXY tcp4 192.0.2.7 10.0.0.1 1 443\r\n",
                          "proxy TCP4 192.0.2.7 10.0.0.1 1 443\r\n",  // not a header at all
                          "GET / HTTP/1.1\r\n", "\x16\x03\x01\x02\x00"}) {
        SCOPED_TRACE(s);
        const auto p = parse_growing(s, Result::Invalid);
        EXPECT_FALSE(p.error.empty());
    }
}

TEST(ProxyV1, LongerThan107BytesIsRefused) {
    const std::string s = "PROXY UNKNOWN " + std::string(120, 'x') + "\r\n";
    EXPECT_EQ(parse(s).result, Result::Invalid);
    EXPECT_EQ(parse(s.substr(0, 106)).result, Result::NeedMore);
    EXPECT_EQ(parse(s.substr(0, 107)).result, Result::Invalid);
}

TEST(ProxyV2, Inet4WithTlvs) {
    const std::string h = v2(0x21, 0x11,
                             kInet4Block + tlv(0x01, "h2") + tlv(0x02, "example.com") + tlv(0x05, "abc-123") +
                                 tlv(0x04, std::string(5, '\0')) + tlv(0x20, std::string("\x01\0\0\0\0", 5)));
    const auto p = parse_growing(h, Result::Done);
    EXPECT_EQ(p.length, h.size());
    ASSERT_TRUE(p.info.has_client);
    EXPECT_EQ(net::address_text(p.info.client), "192.0.2.7");
    EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in&>(p.info.client).sin_port), 12345);
    EXPECT_EQ(net::address_text(p.info.destination), "10.0.0.1");
    EXPECT_EQ(p.info.alpn, "h2");
    EXPECT_EQ(p.info.authority, "example.com");
    EXPECT_EQ(p.info.unique_id, "abc-123");
    EXPECT_EQ(parse(h + "\x16\x03\x01").length, h.size());  // the ClientHello follows
}

TEST(ProxyV2, Inet6) {
    std::string block(36, '\0');
    block[0] = '\x20', block[1] = '\x01', block[2] = '\x0d', block[3] = '\xb8', block[15] = '\x07';
    const auto p = parse_growing(v2(0x21, 0x21, block), Result::Done);
    ASSERT_TRUE(p.info.has_client);
    EXPECT_EQ(net::address_text(p.info.client), "2001:db8::7");
}

TEST(ProxyV2, LocalUnspecAndUnixKeepThePeer) {
    for (const auto& h : {v2(0x20, 0x00, ""), v2(0x20, 0x11, kInet4Block), v2(0x21, 0x00, "junk"),
                          v2(0x21, 0x31, std::string(216, '\0'))}) {
        const auto p = parse_growing(h, Result::Done);
        EXPECT_FALSE(p.info.has_client);
        EXPECT_EQ(p.length, h.size());
    }
}

TEST(ProxyV2, Malformed) {
    for (const auto& h : {v2(0x11, 0x11, kInet4Block),                                        // version 1
                          v2(0x22, 0x11, kInet4Block),                                        // command 2
                          v2(0x21, 0x41, kInet4Block),                                        // family 4
                          v2(0x21, 0x13, kInet4Block),                                        // transport 3
                          v2(0x21, 0x12, kInet4Block),                                        // DGRAM
                          v2(0x21, 0x11, kInet4Block.substr(0, 11)),                          // short address block
                          v2(0x21, 0x21, kInet4Block),                                        // v6 needs 36 bytes
                          v2(0x21, 0x11, kInet4Block + tlv(0x01, "h2").substr(0, 4)),         // TLV cut
                          v2(0x21, 0x11, kInet4Block + "\x01\x00"),                           // TLV head cut
                          v2(0x21, 0x11, kInet4Block + tlv(0x05, std::string(129, 'u')))}) {  // unique id > 128
        SCOPED_TRACE(testing::PrintToString(h));
        parse_growing(h, Result::Invalid);
    }
}

TEST(ProxyV2, OversizedIsRefusedBeforeItArrives) {
    const std::string h = v2(0x21, 0x11, kInet4Block + tlv(0x04, std::string(2000, '\0')));
    EXPECT_EQ(parse(h.substr(0, 16)).result, Result::Invalid);
    EXPECT_EQ(parse(h.substr(0, 15)).result, Result::NeedMore);
}

TEST(Network, ParseAndContains) {
    const auto v4 = parse_network("10.0.0.0/8");
    ASSERT_TRUE(v4);
    sockaddr_storage a{};
    auto& in = reinterpret_cast<sockaddr_in&>(a);
    in.sin_family = AF_INET;
    inet_pton(AF_INET, "10.200.3.4", &in.sin_addr);
    EXPECT_TRUE(contains(*v4, a));
    inet_pton(AF_INET, "11.0.0.1", &in.sin_addr);
    EXPECT_FALSE(contains(*v4, a));
    // An IPv4-mapped IPv6 peer (a dual-stack listener) counts as IPv4.
    sockaddr_storage m{};
    auto& in6 = reinterpret_cast<sockaddr_in6&>(m);
    in6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "::ffff:10.1.2.3", &in6.sin6_addr);
    EXPECT_TRUE(contains(*v4, m));
    const auto v6 = parse_network("fd00::/8");
    ASSERT_TRUE(v6);
    EXPECT_FALSE(contains(*v6, m));
    inet_pton(AF_INET6, "fd12::1", &in6.sin6_addr);
    EXPECT_TRUE(contains(*v6, m));
    const auto host = parse_network("192.0.2.7");
    ASSERT_TRUE(host);
    EXPECT_EQ(host->prefix, 32u);
    const auto any = parse_network("0.0.0.0/0");
    ASSERT_TRUE(any);
    in.sin_family = AF_INET;
    EXPECT_TRUE(contains(*any, a));
    const auto odd = parse_network("10.0.0.0/12");  // not on a byte boundary
    ASSERT_TRUE(odd);
    inet_pton(AF_INET, "10.15.255.255", &in.sin_addr);
    EXPECT_TRUE(contains(*odd, a));
    inet_pton(AF_INET, "10.16.0.0", &in.sin_addr);
    EXPECT_FALSE(contains(*odd, a));
}

TEST(Network, Refused) {
    for (const char* s : {"", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.1/8", "10.0.0.0/8x", "host.example/8",
                          "10.0.0.0/-1", "fd00::1/8"})
        EXPECT_FALSE(parse_network(s)) << s;
}
