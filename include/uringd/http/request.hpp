#pragma once
// A parsed HTTP/1.x request. Every string_view points into the bytes the caller
// fed to RequestParser; they stay valid while the caller keeps those bytes.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace uringd::http {

enum class Method : uint8_t { Get, Head, Options, Other };

struct Header {
    std::string_view name;
    std::string_view value;
};

inline constexpr std::size_t kMaxHeaders = 64;

struct Request {
    Method method = Method::Other;
    std::string_view method_name;
    std::string_view target;
    uint8_t version_major = 1;
    uint8_t version_minor = 1;
    std::string_view host;  // empty when absent
    bool keep_alive = true;
    bool has_body = false;
    // "Expect: 100-continue" with a body to follow: the request is handed over as
    // soon as its head is parsed, the body unread (answer, then close).
    bool expect_continue = false;
    std::array<Header, kMaxHeaders> headers{};
    std::size_t header_count = 0;

    // Case-insensitive lookup of the first header named `name`.
    std::optional<std::string_view> header(std::string_view name) const;
};

// ASCII case-insensitive equality (header names, tokens).
bool iequals(std::string_view a, std::string_view b);
// Without leading and trailing spaces and tabs (RFC 9110 OWS).
std::string_view trim_ows(std::string_view s);

}  // namespace uringd::http
