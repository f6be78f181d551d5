// Reading conf files: TOML parsing with FILE:LINE errors, and `include` globs.
#include "directives.hpp"

#include <glob.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace uringd::config::detail {

namespace {

constexpr off_t kMaxIncluded = 1 << 20;

}  // namespace

toml::table parse_text(std::string_view text, const std::string& source) {
    try {
        return toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        throw ConfigError(fmt::format("{}:{}: {}", source, e.source().begin.line, e.description()));
    }
}

toml::table parse_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw ConfigError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_text(ss.str(), path);
}

std::vector<std::string> expand_include(const toml::node& n, const Reader& r) {
    std::vector<std::string> patterns;
    if (n.is_string()) patterns.push_back(r.string(n));
    else if (n.is_array()) patterns = r.strings(n);
    else {
        r.set_key("include");
        r.type_error(n, "a path or glob, or an array of them");
    }
    const std::string& from = r.source();
    const auto slash = from.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : from.substr(0, slash == 0 ? 1 : slash);
    std::vector<std::string> files;
    for (std::string pattern : patterns) {
        if (pattern.empty()) r.error(n, "include: an empty path");
        if (!pattern.starts_with('/')) pattern = dir + "/" + pattern;
        glob_t g{};
        const int rc = ::glob(pattern.c_str(), GLOB_ERR, nullptr, &g);
        const bool wild = pattern.find_first_of("*?[") != std::string::npos;
        if (rc == GLOB_NOMATCH && !wild) {
            globfree(&g);
            r.error(n, fmt::format("include \"{}\": No such file or directory", pattern));
        }
        if (rc == GLOB_ABORTED) {  // a folder that does not exist matches nothing; one unreadable is an error
            globfree(&g);
            const std::string folder = pattern.substr(0, pattern.rfind('/'));
            struct stat st {};
            if (::stat(folder.c_str(), &st) == 0)
                r.error(n, fmt::format("include \"{}\": cannot read the folder: {}", pattern, std::strerror(EACCES)));
            continue;
        }
        if (rc != 0 && rc != GLOB_NOMATCH) {
            globfree(&g);
            r.error(n, fmt::format("include \"{}\": glob failed", pattern));
        }
        for (std::size_t i = 0; i < g.gl_pathc; ++i) files.emplace_back(g.gl_pathv[i]);
        globfree(&g);
    }
    for (const auto& f : files) {
        if (f == from) r.error(n, fmt::format("include \"{}\": a file cannot include itself", f));
        // Only regular files of a sane size: a glob over /dev or /proc must not read
        // forever.
        struct stat st {};
        if (::stat(f.c_str(), &st) < 0) r.error(n, fmt::format("include \"{}\": {}", f, std::strerror(errno)));
        if (!S_ISREG(st.st_mode)) r.error(n, fmt::format("include \"{}\": not a regular file", f));
        if (st.st_size > kMaxIncluded) r.error(n, fmt::format("include \"{}\": larger than 1 MiB", f));
    }
    return files;
}

}  // namespace uringd::config::detail
