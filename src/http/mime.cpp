#include <uringd/http/mime.hpp>

#include <fstream>
#include <sstream>

namespace uringd::http {

namespace {

// The types a static site needs even without /etc/mime.types. Text types carry a
// charset so browsers do not guess (as Caddy and static-web-server do).
constexpr std::pair<std::string_view, std::string_view> kBuiltin[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"txt", "text/plain; charset=utf-8"},
    {"xml", "application/xml"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/vnd.microsoft.icon"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"wasm", "application/wasm"},
    {"pdf", "application/pdf"},
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
    {"mp3", "audio/mpeg"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
};

std::string lowercase(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return out;
}

bool has_charset(std::string_view type) { return type.find("charset=") != std::string_view::npos; }

}  // namespace

MimeTypes::MimeTypes() {
    for (const auto& [ext, type] : kBuiltin) by_ext_.emplace(ext, type);
}

bool MimeTypes::load(const std::string& path) {
    std::ifstream in(path);
    if (!in) return false;
    std::stringstream ss;
    ss << in.rdbuf();
    add_from_text(ss.str());
    return true;
}

void MimeTypes::add_from_text(std::string_view text) {
    std::istringstream lines{std::string(text)};
    std::string line;
    while (std::getline(lines, line)) {
        if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
        std::istringstream words(line);
        std::string type, ext;
        if (!(words >> type)) continue;
        while (words >> ext) {
            auto key = lowercase(ext);
            auto it = by_ext_.find(key);
            // Keep the built-in charset-qualified text types over bare ones.
            if (it != by_ext_.end() && has_charset(it->second)) continue;
            by_ext_.insert_or_assign(std::move(key), type);
        }
    }
}

std::string_view MimeTypes::lookup(std::string_view path) const {
    const auto slash = path.rfind('/');
    const auto name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    const auto dot = name.rfind('.');
    if (dot != std::string_view::npos && dot + 1 < name.size()) {
        char buf[32];
        const auto ext = name.substr(dot + 1);
        if (ext.size() < sizeof buf) {
            for (std::size_t i = 0; i < ext.size(); ++i)
                buf[i] = ext[i] >= 'A' && ext[i] <= 'Z' ? static_cast<char>(ext[i] + 32) : ext[i];
            // unordered_map<std::string> has no heterogeneous find in C++20 without a
            // transparent hash; a short std::string is built in SSO storage.
            if (auto it = by_ext_.find(std::string(buf, ext.size())); it != by_ext_.end()) return it->second;
        }
    }
    return "application/octet-stream";
}

}  // namespace uringd::http
