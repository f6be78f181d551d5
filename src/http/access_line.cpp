#include <uringd/http/access_line.hpp>

#include <fmt/format.h>

namespace uringd::http {

namespace {

void append_escaped(std::string& out, std::string_view s) {
    for (const char ch : s) {
        const auto u = static_cast<unsigned char>(ch);
        if (u < 0x20 || u >= 0x7f || ch == '"' || ch == '\\') out += fmt::format("\\x{:02X}", u);
        else out += ch;
    }
}

// Length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no
// overlongs, no surrogates, nothing above U+10FFFF), or 0.
std::size_t utf8_sequence(std::string_view s) {
    const auto b = [&s](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char c = b(0);
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // the second byte's range
    if (c >= 0xc2 && c <= 0xdf) n = 2;
    else if (c >= 0xe0 && c <= 0xef) n = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    else if (c >= 0xf0 && c <= 0xf4) n = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    if (n == 0 || s.size() < n || b(1) < lo || b(1) > hi) return 0;
    for (std::size_t i = 2; i < n; ++i)
        if (b(i) < 0x80 || b(i) > 0xbf) return 0;
    return n;
}

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        const char ch = s[i];
        const auto u = static_cast<unsigned char>(ch);
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += ch;
        } else if (u < 0x20 || u == 0x7f) {
            out += fmt::format("\\u{:04x}", u);
        } else if (u >= 0x80) {
            const std::size_t n = utf8_sequence(s.substr(i));
            if (n == 0) {
                out += "\\ufffd";  // not UTF-8: the line stays valid JSON text
                ++i;
            } else {
                out += s.substr(i, n);
                i += n;
            }
            continue;
        } else {
            out += ch;
        }
        ++i;
    }
    out += '"';
}

std::string_view dash_if_empty(std::string_view s) { return s.empty() ? "-" : s; }

}  // namespace

void append_combined(std::string& out, const AccessRecord& r) {
    std::tm tm{};
    gmtime_r(&r.time, &tm);
    char when[32];
    std::strftime(when, sizeof when, "%d/%b/%Y:%H:%M:%S +0000", &tm);
    out += r.peer;
    out += " - - [";
    out += when;
    out += "] \"";
    append_escaped(out, r.method);
    out += ' ';
    append_escaped(out, r.target);
    out += fmt::format(" HTTP/{}.{}\" {} {} \"", r.version_major, r.version_minor, r.status, r.bytes);
    append_escaped(out, dash_if_empty(r.referer));
    out += "\" \"";
    append_escaped(out, dash_if_empty(r.user_agent));
    out += "\"\n";
}

void append_json(std::string& out, const AccessRecord& r) {
    std::tm tm{};
    gmtime_r(&r.time, &tm);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    out += fmt::format("{{\"time\":\"{}\",\"remote\":", when);
    append_json_string(out, r.peer);
    out += ",\"host\":";
    append_json_string(out, r.host);
    out += ",\"method\":";
    append_json_string(out, r.method);
    out += ",\"uri\":";
    append_json_string(out, r.target);
    out += fmt::format(",\"protocol\":\"HTTP/{}.{}\",\"status\":{},\"bytes\":{},\"referer\":", r.version_major,
                       r.version_minor, r.status, r.bytes);
    append_json_string(out, r.referer);
    out += ",\"user_agent\":";
    append_json_string(out, r.user_agent);
    out += fmt::format(",\"duration_us\":{}", r.duration_us);
    if (!r.tls_version.empty()) {
        out += ",\"tls_version\":";
        append_json_string(out, r.tls_version);
        out += ",\"tls_cipher\":";
        append_json_string(out, r.tls_cipher);
        out += ",\"alpn\":";
        append_json_string(out, r.alpn);
    }
    out += "}\n";
}

}  // namespace uringd::http
