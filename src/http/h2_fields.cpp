#include <uringd/http/h2_fields.hpp>
#include <uringd/http/request.hpp>

#include <fmt/format.h>

namespace uringd::http {

namespace {

void put(H2Fields& out, std::string_view name, std::string_view value) {
    if (!value.empty()) out.add(name, value);
}

}  // namespace

void H2Fields::add(std::string_view name, std::string_view value) {
    const auto at = static_cast<uint32_t>(text_.size());
    text_.append(name).append(value);
    spans_.push_back({at, static_cast<uint32_t>(name.size()), at + static_cast<uint32_t>(name.size()),
                      static_cast<uint32_t>(value.size())});
}

void H2Fields::append(const H2Fields& other) {
    for (std::size_t i = 0; i < other.size(); ++i) add(other.name(i), other.value(i));
}

void append_h2_lines(std::string_view lines, H2Fields& out) {
    while (!lines.empty()) {
        const auto eol = lines.find("\r\n");
        const std::string_view line = lines.substr(0, eol);
        lines.remove_prefix(eol == std::string_view::npos ? lines.size() : eol + 2);
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) continue;
        std::string name(line.substr(0, colon));
        for (char& ch : name)
            if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        if (is_connection_specific(name)) continue;
        put(out, name, trim_ows(line.substr(colon + 1)));
    }
}

bool is_connection_specific(std::string_view n) {
    return n == "connection" || n == "keep-alive" || n == "proxy-connection" || n == "transfer-encoding" ||
           n == "upgrade";
}

void append_h2_fields(const ResponseHead& h, H2Fields& out) {
    put(out, ":status", fmt::format_int(code(h.status)).c_str());
    put(out, "server", h.server);
    put(out, "date", h.date);
    put(out, "content-type", h.content_type);
    // RFC 9110 §8.6: none in 304 and 204 responses, as on HTTP/1.1.
    if (h.status != Status::NotModified && h.status != Status::NoContent)
        put(out, "content-length", fmt::format_int(h.content_length).c_str());
    put(out, "last-modified", h.last_modified);
    put(out, "etag", h.etag);
    put(out, "location", h.location);
    put(out, "allow", h.allow);
    put(out, "content-range", h.content_range);
    if (h.accept_ranges) put(out, "accept-ranges", "bytes");
    put(out, "content-encoding", h.content_encoding);
    put(out, "vary", h.vary);
    put(out, "cache-control", h.cache_control);
    append_h2_lines(h.extra, out);
}

int priority_urgency(std::string_view field) {
    constexpr int kDefault = 3;
    while (!field.empty()) {
        const auto comma = field.find(',');
        const std::string_view member = trim_ows(field.substr(0, comma));
        field.remove_prefix(comma == std::string_view::npos ? field.size() : comma + 1);
        if (member.size() == 3 && member[0] == 'u' && member[1] == '=' && member[2] >= '0' && member[2] <= '7')
            return member[2] - '0';
        if (member.starts_with("u=")) return kDefault;  // out of range or not an integer
    }
    return kDefault;
}

}  // namespace uringd::http
