#include <uringd/http/host.hpp>
#include <uringd/http/path.hpp>

#include <cstring>

#include <algorithm>
#include <cstdint>

namespace uringd::http {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

enum class Closed : uint8_t { Named, Dot, Escapes };

// Closes the segment that starts at `seg_start` in `path`, applying the "." and
// ".." rules (RFC 3986 §5.2.4).
Closed close_segment(std::string& path, std::size_t seg_start) {
    const std::string_view seg = std::string_view(path).substr(seg_start);
    if (!seg.empty() && seg != "." && seg != "..") return Closed::Named;
    const bool up = seg == "..";
    path.resize(seg_start == 0 ? 0 : seg_start - 1);  // drop the segment and its '/'
    if (up) {
        if (seg_start == 0) return Closed::Escapes;
        const auto cut = path.rfind('/');
        path.resize(cut == std::string::npos ? 0 : cut);
    }
    return Closed::Dot;
}

// Decodes "%XY" at target[i]; returns -1 when malformed.
int decode_escape(std::string_view target, std::size_t i) {
    if (i + 2 >= target.size()) return -1;
    const int hi = hex_value(target[i + 1]);
    const int lo = hex_value(target[i + 2]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

}  // namespace

TargetError resolve_target(std::string_view target, ResolvedTarget& out) {
    out.path.clear();
    out.query = {};
    out.trailing_slash = false;
    if (target == "*") return TargetError::None;
    target = split_target(target).path_and_query;
    if (target.empty() || target.front() != '/') return TargetError::NotOriginForm;
    if (const auto q = target.find('?'); q != std::string_view::npos) {
        out.query = target.substr(q + 1);
        target = target.substr(0, q);
    }

    // Decoded bytes go straight into out.path; each segment is checked as it closes.
    std::size_t seg_start = 0;
    for (std::size_t i = 1; i <= target.size(); ++i) {
        char c = '/';
        if (i < target.size()) {
            c = target[i];
            if (c == '%') {
                const int v = decode_escape(target, i);
                if (v < 0) return TargetError::BadEncoding;
                c = static_cast<char>(v);
                i += 2;
            }
            if (c == '\0') return TargetError::Nul;
        }
        if (c != '/') {
            out.path += c;
            continue;
        }
        const Closed closed = close_segment(out.path, seg_start);
        if (closed == Closed::Escapes) return TargetError::Escapes;
        out.trailing_slash = closed == Closed::Dot;  // the last segment was "", "." or ".."
        if (i < target.size()) {
            if (!out.path.empty()) out.path += '/';
            seg_start = out.path.size();
        }
    }
    return TargetError::None;
}

bool has_hidden_segment(std::string_view path) {
    bool first = true;
    while (!path.empty()) {
        const auto slash = path.find('/');
        const auto seg = path.substr(0, slash);
        if (seg.starts_with('.') && !(first && seg == ".well-known")) return true;
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
        first = false;
    }
    return false;
}

void append_encoded_path(std::string& out, std::string_view path) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (const char ch : path) {
        const auto u = static_cast<unsigned char>(ch);
        const bool plain = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
                           std::strchr("-._~!$&'()*+,;=:@/", ch) != nullptr;
        if (plain && u != 0) {
            out += ch;
        } else {
            out += '%';
            out += kHex[u >> 4];
            out += kHex[u & 15];
        }
    }
}

}  // namespace uringd::http
