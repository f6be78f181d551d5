#include "directives.hpp"

#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace uringd::config {

using detail::Directive;
using detail::Reader;

namespace {

int line_of(const toml::node& n) { return static_cast<int>(n.source().begin.line); }

template <typename T>
void apply_table(const toml::table& table, std::string_view section, std::span<const Directive<T>> dirs, T& target,
                 const Reader& r) {
    for (const auto& [key, node] : table) {
        const Directive<T>* d = nullptr;
        for (const auto& candidate : dirs)
            if (candidate.key == key.str()) d = &candidate;
        if (!d && key.str() == "include")
            r.error(node, "include must come before the first [section] (in TOML a key belongs to the table above it)");
        if (!d) r.error(node, fmt::format("unknown key \"{}\" in [{}]", key.str(), section));
        r.set_key(d->key);
        d->apply(target, node, r);
        r.set_key({});
    }
}

template <typename T>
void apply_section(const toml::node& node, std::string_view section, std::span<const Directive<T>> dirs, T& target,
                   const Reader& r) {
    const auto* table = node.as_table();
    if (!table) r.error(node, fmt::format("[{}] must be a table", section));
    apply_table(*table, section, dirs, target, r);
}

// [[listen]] and [[site]]: arrays of tables, each with required keys.
template <typename T>
std::vector<T> apply_array(const toml::node& node, std::string_view section, std::span<const Directive<T>> dirs,
                           std::string_view required, const Reader& r) {
    const auto* arr = node.as_array();
    if (!arr || !arr->is_array_of_tables()) r.error(node, fmt::format("use [[{}]] blocks", section));
    std::vector<T> out;
    for (const auto& element : *arr) {
        const auto& table = *element.as_table();
        T item;
        item.line = line_of(table);
        if constexpr (requires { item.source; }) item.source = r.source();
        apply_table(table, section, dirs, item, r);
        if (!table.contains(required)) r.error_at(item.line, fmt::format("[[{}]] needs \"{}\"", section, required));
        out.push_back(std::move(item));
    }
    return out;
}

std::string directory_of(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
}

void check_root(SiteConfig& site, const Reader& r) {
    if (!site.root.starts_with('/')) site.root = directory_of(site.source) + "/" + site.root;
    const int fd = ::open(site.root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        r.error_at(site.root_line ? site.root_line : site.line,
                   fmt::format("root \"{}\": {}", site.root, err == ENOTDIR ? "not a directory" : std::strerror(err)));
    }
    ::close(fd);
}

// Relative paths are relative to the conf file; the file must be readable now.
void check_readable(std::string& path, const std::string& conf_path, int line, std::string_view what, const Reader& r) {
    if (!path.starts_with('/')) path = directory_of(conf_path) + "/" + path;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) r.error_at(line, fmt::format("{} \"{}\": {}", what, path, std::strerror(errno)));
    ::close(fd);
}

void validate_tls(Config& c, const Reader& r) {
    for (auto& cert : c.certificates) {
        const Reader cr(cert.source);  // errors name the file that declared it
        if (cert.key.empty()) cr.error_at(cert.line, "[[certificate]] needs \"key\"");
        if (cert.server_names.empty()) cr.error_at(cert.line, "[[certificate]] needs \"server_names\"");
        check_readable(cert.certificate, cert.source, cert.certificate_line, "certificate", cr);
        check_readable(cert.key, cert.source, cert.key_line, "key", cr);
    }
    if (!c.has_tls_listener()) return;
    int listener_line = 0;
    for (const auto& l : c.listen)
        if (l.tls && !listener_line) listener_line = l.line;
    if (c.tls.certificate.empty() || c.tls.key.empty())
        r.error_at(listener_line, "a tls listener needs [tls] certificate and key");
    check_readable(c.tls.certificate, c.source, c.tls.certificate_line, "certificate", r);
    check_readable(c.tls.key, c.source, c.tls.key_line, "key", r);
    if (!c.tls.session_ticket_keys.empty())
        check_readable(c.tls.session_ticket_keys, c.source, c.tls.session_ticket_keys_line, "session_ticket_keys", r);
}

// A name two sites claim would be answered by whichever comes first, silently.
void check_server_names(const Config& c) {
    for (std::size_t i = 1; i < c.sites.size(); ++i)
        for (const auto& name : c.sites[i].server_names)
            for (std::size_t j = 0; j < i; ++j)
                for (const auto& other : c.sites[j].server_names)
                    if (strcasecmp(name.c_str(), other.c_str()) == 0)
                        Reader(c.sites[i].source)
                            .error_at(c.sites[i].line,
                                      fmt::format("server name \"{}\" is also a name of the [[site]] at {}:{}", name,
                                                  c.sites[j].source, c.sites[j].line));
}

void validate(Config& c, const Reader& r) {
    if (c.listen.empty()) r.error_at(1, "no [[listen]] block: nothing to serve on");
    if (c.sites.empty()) r.error_at(1, "no [[site]] block: nothing to serve");
    // A connection names its site in one byte (and so does the cache key).
    if (c.sites.size() > 255) Reader(c.sites[255].source).error_at(c.sites[255].line, "at most 255 [[site]] blocks");
    for (std::size_t i = 1; i < c.sites.size(); ++i)
        if (c.sites[i].server_names.empty())
            Reader(c.sites[i].source)
                .error_at(c.sites[i].line, "[[site]] needs server_names (only the first, the default, may omit them)");
    check_server_names(c);
    for (std::size_t i = 0; i < c.listen.size(); ++i)
        for (std::size_t j = 0; j < i; ++j) {
            const ListenConfig &a = c.listen[i], &b = c.listen[j];
            if (a.address_text == b.address_text)
                r.error_at(a.line, fmt::format("address {} is listed twice", a.address_text));
            if (overlaps(a.address, b.address))
                r.error_at(a.line, fmt::format("address {} overlaps {} (line {}): one socket would take the "
                                               "other's connections",
                                               a.address_text, b.address_text, b.line));
        }
    for (auto& site : c.sites) {  // paths are relative to the file that declared the site
        check_root(site, Reader(site.source));
        if (!site.access_log.empty() && !site.access_log.starts_with('/'))
            site.access_log = directory_of(site.source) + "/" + site.access_log;
    }
    for (const auto& l : c.listen) {
        if (l.proxy_protocol && l.proxy_from.empty())
            r.error_at(l.line,
                       "proxy_protocol needs proxy_from: the networks of the balancers that send the "
                       "header (anyone else could claim any client address)");
        if (!l.proxy_protocol && !l.proxy_from.empty())
            r.error_at(l.line, "proxy_from is set but proxy_protocol is not");
        if (!l.https_redirect) continue;
        if (l.tls) r.error_at(l.line, "https_redirect is for plain listeners (this one has tls = true)");
        if (!c.has_tls_listener()) r.error_at(l.line, "https_redirect needs a tls listener to send clients to");
    }
    validate_tls(c, r);
    if (c.admin.enabled) {
        const auto a = parse_address(c.admin.address_text);
        if (!a)
            r.error_at(c.admin.line,
                       fmt::format("[admin] address \"{}\" is invalid (expected host:port)", c.admin.address_text));
        c.admin.address = *a;
        for (const auto& l : c.listen)
            if (overlaps(l.address, c.admin.address))
                r.error_at(c.admin.line,
                           fmt::format("[admin] address {} is also a [[listen]] address", l.address_text));
    }
    if (c.limits.max_uri >= c.limits.header_buffer_size)
        r.error_at(1, "limits.max_uri must be smaller than limits.header_buffer_size");
}

// An included file holds [[site]] and [[certificate]] blocks only; its errors name it.
void read_included(const std::string& path, Config& c) {
    const toml::table root = detail::parse_file(path);
    const Reader r(path);
    for (const auto& [key, node] : root) {
        const auto k = key.str();
        if (k == "site") {
            auto more = apply_array(node, k, detail::site_directives(), "root", r);
            c.sites.insert(c.sites.end(), more.begin(), more.end());
        } else if (k == "certificate") {
            auto more = apply_array(node, k, detail::certificate_directives(), "certificate", r);
            c.certificates.insert(c.certificates.end(), more.begin(), more.end());
        } else {
            r.error(node, fmt::format("\"{}\": an included file holds only [[site]] and [[certificate]] blocks", k));
        }
    }
}

Config build(const toml::table& root, const std::string& source) {
    Config c;
    c.source = source;
    const Reader r(c.source);
    for (const auto& [key, node] : root) {
        const auto k = key.str();
        if (k == "server") apply_section(node, k, detail::server_directives(), c.server, r);
        else if (k == "io_uring") apply_section(node, k, detail::ring_directives(), c.io_uring, r);
        else if (k == "limits") apply_section(node, k, detail::limits_directives(), c.limits, r);
        else if (k == "log") apply_section(node, k, detail::log_directives(), c.log, r);
        else if (k == "admin") {
            c.admin.line = line_of(node);
            apply_section(node, k, detail::admin_directives(), c.admin, r);
        } else if (k == "cache") apply_section(node, k, detail::cache_directives(), c.cache, r);
        else if (k == "tls") {
            c.tls.line = line_of(node);
            apply_section(node, k, detail::tls_directives(), c.tls, r);
        } else if (k == "certificate")
            c.certificates = apply_array(node, k, detail::certificate_directives(), "certificate", r);
        else if (k == "listen") c.listen = apply_array(node, k, detail::listen_directives(), "address", r);
        else if (k == "site") c.sites = apply_array(node, k, detail::site_directives(), "root", r);
        else if (k == "include") c.included = detail::expand_include(node, r);
        else r.error(node, fmt::format("unknown section or key \"{}\"", k));
    }
    // Included sites come after the conf's own: the first site stays the default.
    for (const auto& file : c.included) read_included(file, c);
    validate(c, r);
    return c;
}

}  // namespace

Config load_text(std::string_view text, const std::string& source) {
    return build(detail::parse_text(text, source), source);
}

Config load_file(const std::string& path) { return build(detail::parse_file(path), path); }

bool Config::has_tls_listener() const {
    for (const auto& l : listen)
        if (l.tls) return true;
    return false;
}

std::vector<DirectiveInfo> directives() {
    std::vector<DirectiveInfo> out;
    auto add = [&out](std::string_view section, const auto& table) {
        for (const auto& d : table) out.push_back({section, d.key, d.default_text, d.doc});
    };
    add("server", detail::server_directives());
    add("io_uring", detail::ring_directives());
    add("limits", detail::limits_directives());
    add("cache", detail::cache_directives());
    add("log", detail::log_directives());
    add("admin", detail::admin_directives());
    add("tls", detail::tls_directives());
    add("certificate", detail::certificate_directives());
    add("listen", detail::listen_directives());
    add("site", detail::site_directives());
    return out;
}

}  // namespace uringd::config
