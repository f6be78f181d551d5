#pragma once
// Request-target → file path inside the site root. Pure string work; the kernel
// (openat2 RESOLVE_BENEATH) is the real guard against escaping the root.
#include <string>
#include <string_view>

namespace uringd::http {

enum class TargetError : uint8_t {
    None,
    NotOriginForm,  // not "/…", absolute-form or "*"
    BadEncoding,    // '%' not followed by two hex digits
    Nul,            // NUL byte, raw or %00
    Escapes,        // ".." above the root
};

struct ResolvedTarget {
    // Normalised path relative to the root: no leading '/', no "."/".." segments,
    // no empty segments; "" is the root itself.
    std::string path;
    std::string_view query;       // without the '?', empty when absent
    bool trailing_slash = false;  // the decoded path ended with '/'
};

// Decodes percent-escapes once, then normalises. `out.path` is reused (its capacity
// is kept) so the request path allocates only when it grows.
TargetError resolve_target(std::string_view target, ResolvedTarget& out);

// Appends `path` percent-encoded for a URL (RFC 3986 pchar and '/' stay as they are).
void append_encoded_path(std::string& out, std::string_view path);

// True when some segment of a normalised path is hidden (starts with '.'), except a
// leading ".well-known" segment (RFC 8615), which is always allowed.
bool has_hidden_segment(std::string_view normalised_path);

}  // namespace uringd::http
