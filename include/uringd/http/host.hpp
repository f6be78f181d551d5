#pragma once
// The Host header (RFC 9110 §7.2, RFC 3986 §3.2.2): syntax check and the name part.
#include <optional>
#include <string_view>

namespace uringd::http {

// The host without its port ("Example.com:8443" → "Example.com", "[::1]:80" →
// "[::1]"), or nullopt when the value is not a uri-host with an optional port:
// a reg-name of unreserved / sub-delims / pct-encoded characters, an IPv4 address or
// a bracketed IPv6 literal. A trailing dot is dropped ("example.com." names the
// same host). Empty is valid (HTTP/1.0, or an authority without a host).
std::optional<std::string_view> host_name(std::string_view host);

// An absolute-form target's authority ("http://a.example:8080/x" → "a.example:8080")
// and the rest ("/x"; "/" when there is none). Empty authority for origin-form.
struct TargetParts {
    std::string_view authority;
    std::string_view path_and_query;
};
TargetParts split_target(std::string_view target);

}  // namespace uringd::http
