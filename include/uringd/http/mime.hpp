#pragma once
// File extension → Content-Type. Built once at start-up, then read-only (shared by
// workers without locks).
#include <string>
#include <string_view>
#include <unordered_map>

namespace uringd::http {

class MimeTypes {
public:
    // The built-in table only (used when /etc/mime.types is missing).
    MimeTypes();
    // Adds the entries of a mime.types file ("type ext ext…" lines) on top of the
    // built-in table. Returns false when the file cannot be read.
    bool load(const std::string& path);
    // Parses mime.types text; later entries win.
    void add_from_text(std::string_view text);

    // Content-Type for a file path (by its last extension, case-insensitive);
    // application/octet-stream when unknown.
    std::string_view lookup(std::string_view path) const;
    std::size_t size() const { return by_ext_.size(); }

private:
    std::unordered_map<std::string, std::string> by_ext_;
};

}  // namespace uringd::http
