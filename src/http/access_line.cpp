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

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    for (const char ch : s) {
        const auto u = static_cast<unsigned char>(ch);
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += ch;
        } else if (u < 0x20 || u >= 0x7f) {
            out += fmt::format("\\u{:04x}", u);  // bytes, not UTF-8: each one visible
        } else {
            out += ch;
        }
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
    out += fmt::format(" HTTP/1.{}\" {} {} \"", r.version_minor, r.status, r.bytes);
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
    out += fmt::format(",\"protocol\":\"HTTP/1.{}\",\"status\":{},\"bytes\":{},\"referer\":", r.version_minor, r.status,
                       r.bytes);
    append_json_string(out, r.referer);
    out += ",\"user_agent\":";
    append_json_string(out, r.user_agent);
    out += fmt::format(",\"duration_ms\":{}}}\n", r.duration_ms);
}

}  // namespace uringd::http
