#include <uringd/http/date.hpp>
#include <uringd/http/listing.hpp>
#include <uringd/http/path.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace uringd::http {

void append_html_escaped(std::string& out, std::string_view text) {
    for (const char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
}

std::string render_listing(std::string_view dir, std::vector<ListingEntry> entries, bool truncated) {
    std::sort(entries.begin(), entries.end(), [](const ListingEntry& a, const ListingEntry& b) {
        return a.directory != b.directory ? a.directory : a.name < b.name;
    });
    std::string title = "/";
    if (!dir.empty()) title += std::string(dir) + "/";
    std::string out = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of ";
    append_html_escaped(out, title);
    out += "</title></head>\n<body><h1>Index of ";
    append_html_escaped(out, title);
    out += "</h1>\n<table>\n<tr><th>Name</th><th>Last modified</th><th>Size</th></tr>\n";
    if (!dir.empty()) out += "<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n";
    char date[kHttpDateLen];
    for (const ListingEntry& e : entries) {
        std::string href;
        append_encoded_path(href, e.name);
        if (e.directory) href += '/';
        out += "<tr><td><a href=\"./";  // "./" keeps a name like "a:b" from reading as a scheme
        append_html_escaped(out, href);
        out += "\">";
        append_html_escaped(out, e.name);
        if (e.directory) out += '/';
        format_http_date(e.mtime, date);
        out += fmt::format("</a></td><td>{}</td><td>{}</td></tr>\n", std::string_view(date, sizeof date),
                           e.directory ? std::string("-") : std::to_string(e.size));
    }
    out += "</table>\n";
    if (truncated) out += "<p>(more entries exist than are listed)</p>\n";
    out += "</body></html>\n";
    return out;
}

}  // namespace uringd::http
