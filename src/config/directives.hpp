#pragma once
// The directive tables: every conf key is declared once here, with its default and
// one line of documentation, next to the code that reads it.
#include <uringd/config/config.hpp>

#include <toml++/toml.h>

#include <span>
#include <string_view>

namespace uringd::config::detail {

// Reads typed values from TOML nodes; every error names FILE:LINE.
class Reader {
public:
    explicit Reader(const std::string& source) : source_(source) {}
    const std::string& source() const { return source_; }
    [[noreturn]] void error(const toml::node& n, std::string_view msg) const;
    [[noreturn]] void error_at(int line, std::string_view msg) const;
    static int line(const toml::node& n) { return static_cast<int>(n.source().begin.line); }

    // The key whose value is being read, named in type errors.
    void set_key(std::string_view key) const { key_ = key; }
    [[noreturn]] void type_error(const toml::node& n, std::string_view expected) const;

    uint32_t u32(const toml::node& n, uint32_t min, uint32_t max) const;
    // Milliseconds: an integer, or a string with a unit: "500ms", "60s", "5m", "1h".
    uint32_t duration_ms(const toml::node& n, uint32_t min, uint32_t max) const;
    // Bytes: an integer, or a string with a unit: "16k", "1m", "1g" (or KiB, MiB, GiB).
    uint32_t size(const toml::node& n, uint32_t min, uint32_t max) const;
    bool boolean(const toml::node& n) const;
    std::string string(const toml::node& n) const;
    std::vector<std::string> strings(const toml::node& n) const;
    // A string that can go in a response header: no CR, LF or NUL.
    std::string header_value(const toml::node& n) const;
    // A table of header name → value (names are tokens; framing headers refused).
    std::vector<HeaderField> header_fields(const toml::node& n) const;
    std::vector<CacheControlRule> cache_control_rules(const toml::node& n) const;
    std::vector<ErrorPage> error_pages(const toml::node& n) const;
    // One of `choices` (e.g. "auto|on|off"); returns its index.
    std::size_t choice(const toml::node& n, std::string_view choices) const;

private:
    uint32_t in_range(const toml::node& n, int64_t v, uint32_t min, uint32_t max, std::string_view given) const;
    uint32_t with_unit(const toml::node& n, uint32_t min, uint32_t max, std::string_view expected,
                       int64_t (*scale)(std::string_view unit)) const;

    const std::string& source_;
    mutable std::string_view key_;
};

template <typename T>
struct Directive {
    std::string_view key;
    std::string_view default_text;
    std::string_view doc;
    void (*apply)(T&, const toml::node&, const Reader&);
};

// TOML text or a file, parsed; a syntax error is a ConfigError naming FILE:LINE.
toml::table parse_text(std::string_view text, const std::string& source);
toml::table parse_file(const std::string& path);
// `include = "sites.d/*.conf"` (or an array of such): the files, sorted within each
// pattern; relative to the including file. A pattern without wildcards must name a
// file; one with wildcards may match nothing.
std::vector<std::string> expand_include(const toml::node& n, const Reader& r);

std::span<const Directive<ServerConfig>> server_directives();
std::span<const Directive<RingConfig>> ring_directives();
std::span<const Directive<LimitsConfig>> limits_directives();
std::span<const Directive<LogConfig>> log_directives();
std::span<const Directive<AdminConfig>> admin_directives();
std::span<const Directive<CacheConfig>> cache_directives();
std::span<const Directive<TlsConfig>> tls_directives();
std::span<const Directive<CertificateConfig>> certificate_directives();
std::span<const Directive<ListenConfig>> listen_directives();
std::span<const Directive<SiteConfig>> site_directives();

}  // namespace uringd::config::detail
