// `uringd -T`: the conf as loaded, every key of every section with its value from
// the file or its default from the directive table (so it cannot drift from them).
#include "directives.hpp"

#include <fstream>
#include <sstream>

namespace uringd::config {

namespace {

// Fills `t` with every key of `dirs` that the file did not set.
template <typename T>
void fill_defaults(toml::table& t, std::span<const detail::Directive<T>> dirs) {
    for (const auto& d : dirs) {
        if (t.contains(d.key)) continue;
        toml::table parsed;
        try {
            parsed = toml::parse(fmt::format("v = {}", d.default_text));
        } catch (const toml::parse_error&) {
            continue;  // "(required)": present in any conf that loaded
        }
        parsed.get("v")->visit([&](auto& value) { t.insert_or_assign(d.key, value); });
    }
}

template <typename T>
void section(toml::table& out, const toml::table& file, std::string_view name,
             std::span<const detail::Directive<T>> dirs) {
    toml::table t;
    if (const auto* given = file.get_as<toml::table>(name)) t = *given;
    fill_defaults(t, dirs);
    out.insert_or_assign(name, std::move(t));
}

// [[name]] blocks from the conf and then from each file it includes, in load order.
template <typename T>
void blocks(toml::table& out, const std::vector<toml::table>& files, std::string_view name,
            std::span<const detail::Directive<T>> dirs) {
    toml::array arr;
    for (const auto& file : files) {
        const auto* given = file.get_as<toml::array>(name);
        if (!given) continue;
        for (const auto& element : *given) {
            toml::table t = *element.as_table();
            fill_defaults(t, dirs);
            arr.push_back(std::move(t));
        }
    }
    if (!arr.empty()) out.insert_or_assign(name, std::move(arr));
}

}  // namespace

std::string effective_text(const Config& conf) {
    std::vector<toml::table> files{detail::parse_file(conf.source)};
    for (const auto& path : conf.included) files.push_back(detail::parse_file(path));
    const toml::table& file = files.front();
    toml::table out;
    section(out, file, "server", detail::server_directives());
    section(out, file, "io_uring", detail::ring_directives());
    section(out, file, "limits", detail::limits_directives());
    section(out, file, "cache", detail::cache_directives());
    section(out, file, "log", detail::log_directives());
    section(out, file, "admin", detail::admin_directives());
    section(out, file, "tls", detail::tls_directives());
    blocks(out, files, "certificate", detail::certificate_directives());
    blocks(out, {file}, "listen", detail::listen_directives());
    blocks(out, files, "site", detail::site_directives());
    std::ostringstream os;
    os << fmt::format("# {}: every key, as given or by default\n", conf.source);
    for (const auto& path : conf.included) os << fmt::format("# with the blocks of {}\n", path);
    os << out << '\n';
    return os.str();
}

}  // namespace uringd::config
