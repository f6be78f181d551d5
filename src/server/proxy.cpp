// The PROXY protocol on listeners behind a load balancer: only the configured
// balancers may send the header, and its client address replaces the socket's peer.
#include <uringd/net/proxy_protocol.hpp>
#include <uringd/server/transport.hpp>
#include <uringd/server/worker.hpp>

#include <algorithm>
#include <cstring>

namespace uringd::server {

bool Worker::trusts_proxy(const sockaddr_storage& peer, uint32_t listener) {
    const auto& from = core_.conf.listen[listener].proxy_from;
    if (std::any_of(from.begin(), from.end(), [&peer](const Network& n) { return contains(n, peer); })) return true;
    ++core_.counters.proxy_untrusted;
    if (core_.resource_errors.allow(core_.now_ms))
        spdlog::warn("worker {}: {}: a connection from {} is not in proxy_from; closed ({} similar suppressed)",
                     core_.index, core_.conf.listen[listener].address_text, net::address_text(peer),
                     core_.resource_errors.suppressed());
    return false;
}

// Gathers the header in the request buffer (it is at most kMaxProxyHeader bytes, and
// nothing else is there yet); once whole, what follows it is the client's first
// bytes and goes on to TLS or HTTP.
uint32_t Transport::consume_proxy_header(Connection& c, std::span<const char> data) {
    const uint32_t before = c.in_len;
    const auto n = static_cast<uint32_t>(std::min<std::size_t>(data.size(), net::kMaxProxyHeader - before));
    std::memcpy(c.in + before, data.data(), n);
    c.in_len += n;
    const auto p = net::parse_proxy_header({c.in, c.in_len});
    if (p.result == net::ProxyParse::Result::NeedMore && c.in_len < net::kMaxProxyHeader) return n;
    if (p.result != net::ProxyParse::Result::Done) {
        ++core_.counters.proxy_invalid;
        spdlog::debug("worker {}: slot {}: PROXY header: {}", core_.index, c.slot,
                      p.error.empty() ? "longer than the limit" : p.error);
        c.input_failed = true;
        return static_cast<uint32_t>(data.size());
    }
    ++core_.counters.proxy_ok;
    if (p.info.has_client) remember_peer(c, p.info.client);
    const uint32_t header_here = static_cast<uint32_t>(p.length) - before;  // the header's bytes in `data`
    c.in_len = 0;
    begin_session(c);
    if (header_here == data.size()) return header_here;
    return header_here + consume_input(c, data.subspan(header_here));
}

}  // namespace uringd::server
