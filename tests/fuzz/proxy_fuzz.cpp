// Bytes from a balancer (or anyone who reaches a proxy_protocol listener) →
// net::parse_proxy_header, whole and as they grow one slice at a time, the way
// Worker::consume_proxy_header feeds it. Invariants: a verdict never changes once
// given, Done names a length inside the input and at most kMaxProxyHeader, and the
// verdict on a prefix never contradicts the one on the whole.
#include "check.hpp"

#include <uringd/net/proxy_protocol.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

using uringd::fuzz::check;
using uringd::net::kMaxProxyHeader;
using uringd::net::parse_proxy_header;
using Result = uringd::net::ProxyParse::Result;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t step = 1 + data[0] % 16;
    const std::span<const char> all(reinterpret_cast<const char*>(data) + 1, size - 1);
    const auto whole = parse_proxy_header(all);
    if (whole.result == Result::Done) {
        check(whole.length > 0 && whole.length <= all.size(), "Done length inside the input");
        check(whole.length <= kMaxProxyHeader, "Done length within the limit");
        if (whole.info.has_client)
            check(whole.info.client.ss_family == whole.info.destination.ss_family, "one family for both ends");
    }
    if (whole.result == Result::Invalid) check(!whole.error.empty(), "Invalid says why");
    if (whole.result == Result::NeedMore) check(all.size() < kMaxProxyHeader, "NeedMore only below the limit");
    for (std::size_t n = 0; n < all.size(); n += step) {
        const auto part = parse_proxy_header(all.first(n));
        if (part.result == Result::NeedMore) continue;
        // A verdict reached early stands when more bytes arrive.
        check(part.result == whole.result, "verdict on a prefix stands");
        if (part.result == Result::Done) check(part.length == whole.length, "same header length");
        break;
    }
    (void)uringd::net::address_text(whole.info.client);
    return 0;
}
