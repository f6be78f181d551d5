#pragma once
// The HTML page listing a directory (off unless a site enables it). Pure.
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace uringd::http {

struct ListingEntry {
    std::string name;
    bool directory = false;
    uint64_t size = 0;
    std::time_t mtime = 0;
};

// `dir` is the normalised directory path ("" for the root, "a/b" otherwise).
// Entries are sorted (directories first, then by name); names are HTML-escaped in
// the text and percent-encoded in the links. `truncated` adds a note that more
// entries exist than were listed.
std::string render_listing(std::string_view dir, std::vector<ListingEntry> entries, bool truncated);

// Escapes &, <, >, " and ' for HTML text and attribute values.
void append_html_escaped(std::string& out, std::string_view text);

}  // namespace uringd::http
