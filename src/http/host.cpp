#include <uringd/http/host.hpp>
#include <uringd/http/request.hpp>

#include <array>
#include <cstring>

namespace uringd::http {

namespace {

// RFC 3986 reg-name: unreserved / pct-encoded / sub-delims. A table: Host is checked
// on every request, and a strchr per character showed in the HTTP/2 profile.
constexpr std::array<bool, 256> kRegName = [] {
    std::array<bool, 256> t{};
    for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
    for (int c = '0'; c <= '9'; ++c) t[c] = true;
    for (const char c : std::string_view("-._~!$&'()*+,;=%")) t[static_cast<unsigned char>(c)] = true;
    return t;
}();

bool reg_name_char(char c) { return kRegName[static_cast<unsigned char>(c)]; }

bool ipv6_literal(std::string_view s) {  // "[...]": hex digits, ':' and '.', loosely
    if (s.size() < 4 || s.front() != '[' || s.back() != ']') return false;
    for (const char c : s.substr(1, s.size() - 2))
        if (!std::strchr("0123456789abcdefABCDEF:.", c)) return false;
    return true;
}

}  // namespace

std::optional<std::string_view> host_name(std::string_view host) {
    std::string_view name = host;
    const auto colon = host.rfind(':');
    if (colon != std::string_view::npos && host.find(']', colon) == std::string_view::npos) {
        const std::string_view port = host.substr(colon + 1);
        if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
        name = host.substr(0, colon);
    }
    if (name.starts_with('[')) return ipv6_literal(name) ? std::optional(name) : std::nullopt;
    for (const char c : name)
        if (!reg_name_char(c)) return std::nullopt;
    if (name.ends_with('.')) name.remove_suffix(1);
    return name;
}

TargetParts split_target(std::string_view target) {
    for (std::string_view scheme : {"http://", "https://"}) {
        if (target.size() >= scheme.size() && iequals(target.substr(0, scheme.size()), scheme)) {
            const std::string_view rest = target.substr(scheme.size());
            const auto slash = rest.find_first_of("/?");
            if (slash == std::string_view::npos) return {rest, "/"};
            return {rest.substr(0, slash), rest[slash] == '/' ? rest.substr(slash) : std::string_view("/")};
        }
    }
    return {{}, target};
}

}  // namespace uringd::http
