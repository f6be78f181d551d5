#pragma once
// Content negotiation on Accept-Encoding (RFC 9110 §12.5.3) for precompressed
// sidecar files. Pure.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace uringd::http {

enum class Coding : uint8_t { Br, Zstd, Gzip };
inline constexpr std::size_t kCodings = 3;

std::string_view coding_name(Coding c);     // "br", "zstd", "gzip" (Content-Encoding)
std::string_view sidecar_suffix(Coding c);  // ".br", ".zst", ".gz"

struct Negotiation {
    // Codings to try, best first: acceptable (q > 0), not less wanted than identity;
    // ties go br, zstd, gzip (smallest files first).
    std::array<Coding, kCodings> order{};
    std::size_t count = 0;
    bool identity_ok = true;  // false: "identity;q=0", or "*;q=0" without identity
};

// `field` is the Accept-Encoding value; nullopt (no header) asks for no coding.
Negotiation negotiate_encoding(std::optional<std::string_view> field);

}  // namespace uringd::http
