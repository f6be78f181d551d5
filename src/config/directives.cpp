#include "directives.hpp"

#include <fmt/format.h>

#include <cctype>
#include <climits>
#include <string>

namespace uringd::config::detail {

void Reader::error_at(int line, std::string_view msg) const {
    throw ConfigError(fmt::format("{}:{}: {}", source_, line, msg));
}

void Reader::error(const toml::node& n, std::string_view msg) const {
    error_at(static_cast<int>(n.source().begin.line), msg);
}

namespace {

// What a conf file gave, for an error message: `a string "4"`, `an integer 4`, ….
std::string describe(const toml::node& n) {
    if (const auto* s = n.as_string()) return fmt::format("a string \"{}\"", s->get());
    if (const auto* i = n.as_integer()) return fmt::format("an integer {}", i->get());
    if (const auto* f = n.as_floating_point()) return fmt::format("a number {}", f->get());
    if (const auto* b = n.as_boolean()) return fmt::format("a boolean {}", b->get());
    if (n.is_array()) return "an array";
    if (n.is_table()) return "a table";
    return "a date or time";
}

int64_t duration_scale(std::string_view unit) {
    if (unit == "ms") return 1;
    if (unit == "s") return 1000;
    if (unit == "m" || unit == "min") return 60'000;
    if (unit == "h") return 3'600'000;
    return 0;
}

int64_t size_scale(std::string_view unit) {
    std::string u;
    for (const char c : unit) u += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (u.empty() || u == "b") return 1;
    if (u == "k" || u == "kb" || u == "kib") return int64_t{1} << 10;
    if (u == "m" || u == "mb" || u == "mib") return int64_t{1} << 20;
    if (u == "g" || u == "gb" || u == "gib") return int64_t{1} << 30;
    return 0;
}

}  // namespace

void Reader::type_error(const toml::node& n, std::string_view expected) const {
    if (key_.empty()) error(n, fmt::format("expected {}, got {}", expected, describe(n)));
    error(n, fmt::format("{}: expected {}, got {}", key_, expected, describe(n)));
}

uint32_t Reader::in_range(const toml::node& n, int64_t v, uint32_t min, uint32_t max, std::string_view given) const {
    if (v < min || v > max) {
        const std::string what = given.empty() ? std::to_string(v) : fmt::format("{} ({})", given, v);
        error(n, fmt::format("{}{}value {} out of range [{}, {}]", key_, key_.empty() ? "" : ": ", what, min, max));
    }
    return static_cast<uint32_t>(v);
}

uint32_t Reader::u32(const toml::node& n, uint32_t min, uint32_t max) const {
    // Check the type first: value<int64_t>() converts a float, and 1e24 does not fit.
    if (!n.is_integer()) type_error(n, "an integer");
    return in_range(n, *n.value<int64_t>(), min, max, {});
}

// An integer as it is, or "<digits><unit>" scaled by the unit.
uint32_t Reader::with_unit(const toml::node& n, uint32_t min, uint32_t max, std::string_view expected,
                           int64_t (*scale)(std::string_view unit)) const {
    if (n.is_integer()) return in_range(n, *n.value<int64_t>(), min, max, {});
    if (!n.is_string()) type_error(n, expected);
    const std::string text = *n.value<std::string>();
    std::size_t digits = 0;
    while (digits < text.size() && digits < 12 && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
    const int64_t unit = digits == 0 ? 0 : scale(std::string_view(text).substr(digits));
    if (unit == 0) type_error(n, expected);
    const int64_t v = std::stoll(text.substr(0, digits));
    return in_range(n, v > INT64_MAX / unit ? INT64_MAX : v * unit, min, max, text);
}

uint32_t Reader::duration_ms(const toml::node& n, uint32_t min, uint32_t max) const {
    return with_unit(n, min, max, "milliseconds or a duration such as \"500ms\", \"60s\", \"5m\"", duration_scale);
}

uint32_t Reader::size(const toml::node& n, uint32_t min, uint32_t max) const {
    return with_unit(n, min, max, "bytes or a size such as \"16k\", \"1m\"", size_scale);
}

bool Reader::boolean(const toml::node& n) const {
    if (!n.is_boolean()) type_error(n, "true or false");
    return *n.value<bool>();
}

std::string Reader::string(const toml::node& n) const {
    if (!n.is_string()) type_error(n, "a string");
    return *n.value<std::string>();
}

std::vector<std::string> Reader::strings(const toml::node& n) const {
    const auto* arr = n.as_array();
    if (!arr) type_error(n, "an array of strings");
    std::vector<std::string> out;
    for (const auto& e : *arr) out.push_back(string(e));
    return out;
}

std::string Reader::header_value(const toml::node& n) const {
    std::string v = string(n);
    for (const char c : v)
        if (c == '\r' || c == '\n' || c == '\0') error(n, "a header value cannot hold CR, LF or NUL");
    return v;
}

std::vector<HeaderField> Reader::header_fields(const toml::node& n) const {
    const auto* table = n.as_table();
    if (!table) type_error(n, "a table of header = \"value\"");
    // uringd writes these itself; a second copy would break framing or caching.
    static constexpr std::string_view kOwn[] = {
        "content-length", "transfer-encoding", "connection",    "keep-alive",
        "upgrade",        "trailer",           "content-range", "date",
        "etag",           "last-modified",     "content-type",  "accept-ranges"};
    std::vector<HeaderField> out;
    for (const auto& [key, value] : *table) {
        const std::string name(key.str());
        if (name.empty() || name.find_first_not_of("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
                                                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos)
            error(value, fmt::format("\"{}\" is not a header name", name));
        std::string lower(name);
        for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        for (const auto own : kOwn)
            if (lower == own) error(value, fmt::format("header \"{}\" is set by uringd itself", name));
        out.push_back({name, header_value(value)});
    }
    return out;
}

std::vector<CacheControlRule> Reader::cache_control_rules(const toml::node& n) const {
    const auto* arr = n.as_array();
    if (!arr) type_error(n, "an array of { match = \"…\", value = \"…\" }");
    std::vector<CacheControlRule> out;
    for (const auto& e : *arr) {
        const auto* t = e.as_table();
        if (!t || !t->contains("match") || !t->contains("value") || t->size() != 2)
            error(e, "each rule is { match = \"/prefix/\" or \"*.ext\", value = \"…\" }");
        CacheControlRule rule{string(*t->get("match")), header_value(*t->get("value"))};
        if (!rule.match.starts_with('/') && !(rule.match.starts_with("*.") && rule.match.size() > 2))
            error(e,
                  fmt::format("match \"{}\" must be a path prefix (\"/…\") or an extension (\"*.ext\")", rule.match));
        out.push_back(std::move(rule));
    }
    return out;
}

std::vector<ErrorPage> Reader::error_pages(const toml::node& n) const {
    const auto* table = n.as_table();
    if (!table) type_error(n, "a table of status = \"/path\"");
    std::vector<ErrorPage> out;
    for (const auto& [key, value] : *table) {
        const std::string k(key.str());
        const int status = k.size() == 3 && k.find_first_not_of("0123456789") == std::string::npos ? std::stoi(k) : 0;
        if (status < 400 || status > 599) error(value, fmt::format("\"{}\" is not an error status (400-599)", k));
        const std::string path = string(value);
        if (!path.starts_with('/') || path.find("/..") != std::string::npos || path.find('%') != std::string::npos ||
            path.ends_with('/'))
            error(value, fmt::format("error page \"{}\" must be a file path under the root, like \"/404.html\"", path));
        out.push_back({static_cast<uint16_t>(status), path.substr(1)});
    }
    return out;
}

std::size_t Reader::choice(const toml::node& n, std::string_view choices) const {
    const std::string v = string(n);
    std::size_t index = 0;
    for (std::string_view rest = choices; !rest.empty(); ++index) {
        const auto bar = rest.find('|');
        if (rest.substr(0, bar) == v) return index;
        rest = bar == std::string_view::npos ? std::string_view{} : rest.substr(bar + 1);
    }
    error(n, fmt::format("{}{}expected one of {}, got \"{}\"", key_, key_.empty() ? "" : ": ", choices, v));
}

namespace {

constexpr uint32_t kMax = 0xffffffffu;

const Directive<ServerConfig> kServer[] = {
    {"workers", "0", "worker threads; 0 = one per CPU in the affinity mask",
     [](ServerConfig& c, const toml::node& n, const Reader& r) { c.workers = r.u32(n, 0, 1024); }},
    {"incoming_cpu", "false",
     "steer each new connection to the worker pinned to the CPU that took its SYN (SO_INCOMING_CPU); "
     "false = the kernel hashes connections over workers",
     [](ServerConfig& c, const toml::node& n, const Reader& r) { c.incoming_cpu = r.boolean(n); }},
    {"pin_workers", "\"auto\"",
     "bind each worker thread to one CPU: auto|on|off (auto = on only with incoming_cpu, which needs it; "
     "unpinned workers move to an idle core when another process shares theirs)",
     [](ServerConfig& c, const toml::node& n, const Reader& r) {
         c.pin_workers = static_cast<PinWorkers>(r.choice(n, "auto|on|off"));
     }},
    {"user", "\"\"",
     "started as root: switch to this user once the listeners are bound and certificates read (as nginx's `user`)",
     [](ServerConfig& c, const toml::node& n, const Reader& r) { c.user = r.string(n); }},
    {"group", "\"\"", "group for that switch; empty = the user's own group",
     [](ServerConfig& c, const toml::node& n, const Reader& r) { c.group = r.string(n); }},
    {"allow_root", "false",
     "keep serving as root when started as root without `user` (otherwise uringd refuses to start)",
     [](ServerConfig& c, const toml::node& n, const Reader& r) { c.allow_root = r.boolean(n); }},
    {"unknown_host", "\"default\"", "a Host that no site's server_names matches: default (the first site) | 404 | 421",
     [](ServerConfig& c, const toml::node& n, const Reader& r) {
         c.unknown_host = static_cast<UnknownHost>(r.choice(n, "default|404|421"));
     }},
    {"mime_types", "\"/etc/mime.types\"", "extension → Content-Type table (built-in fallback when missing)",
     [](ServerConfig& c, const toml::node& n, const Reader& r) { c.mime_types = r.string(n); }},
};

const Directive<RingConfig> kRing[] = {
    {"sqpoll", "\"auto\"", "kernel SQ polling thread: auto|on|off (auto = off; see docs/io_uring.md)",
     [](RingConfig& c, const toml::node& n, const Reader& r) {
         c.sqpoll = static_cast<SqPoll>(r.choice(n, "auto|on|off"));
     }},
    {"sqpoll_shared", "false", "with sqpoll on: all workers share one SQPOLL thread (IORING_SETUP_ATTACH_WQ)",
     [](RingConfig& c, const toml::node& n, const Reader& r) { c.sqpoll_shared = r.boolean(n); }},
    {"sqpoll_idle_ms", "1000", "SQPOLL thread idle time before it sleeps",
     [](RingConfig& c, const toml::node& n, const Reader& r) { c.sqpoll_idle_ms = r.duration_ms(n, 1, 60000); }},
    {"entries", "1024", "submission queue entries per ring (completion queue is 4x)",
     [](RingConfig& c, const toml::node& n, const Reader& r) { c.entries = r.u32(n, 64, 32768); }},
    {"recv_buffers", "256", "provided receive buffers per worker (a power of two)",
     [](RingConfig& c, const toml::node& n, const Reader& r) {
         c.recv_buffers = r.u32(n, 8, 32768);
         if (c.recv_buffers & (c.recv_buffers - 1)) r.error(n, "must be a power of two");
     }},
    {"recv_buffer_size", "4096", "bytes per provided receive buffer",
     [](RingConfig& c, const toml::node& n, const Reader& r) { c.recv_buffer_size = r.size(n, 512, 1 << 20); }},
    {"fixed_buffers", "128", "registered response buffers per worker (held only while a response is sent)",
     [](RingConfig& c, const toml::node& n, const Reader& r) { c.fixed_buffers = r.u32(n, 4, 16384); }},
    {"fixed_buffer_size", "131072", "bytes per registered buffer; files that fit after the head go out in one send",
     [](RingConfig& c, const toml::node& n, const Reader& r) { c.fixed_buffer_size = r.size(n, 4096, 1 << 24); }},
    {"send_zc_threshold", "0",
     "responses from a registered buffer at least this large use SEND_ZC; 0 = never (see docs)",
     [](RingConfig& c, const toml::node& n, const Reader& r) { c.send_zc_threshold = r.size(n, 0, kMax); }},
    {"large_body", "\"mmap\"",
     "bodies not kept in memory, over plain TCP and kTLS: mmap (SEND from the mapped file; kTLS, files up to "
     "64 KiB and busy workers: sendfile), sendfile (page-cache pages to the socket by reference), splice (file → "
     "pipe → socket) or read (READ_FIXED + SEND)",
     [](RingConfig& c, const toml::node& n, const Reader& r) {
         c.large_body = static_cast<LargeBody>(r.choice(n, "splice|read|mmap|sendfile"));
     }},
    {"pipe_size", "262144", "splice pipe capacity (F_SETPIPE_SZ); bounded by /proc/sys/fs/pipe-max-size",
     [](RingConfig& c, const toml::node& n, const Reader& r) { c.pipe_size = r.size(n, 4096, 1 << 28); }},
    {"batch_wait_us", "0",
     "after a completion, wait up to this long for the others in flight before waking (Linux 6.12 min_wait); "
     "0 = wake at once (see docs/io_uring.md)",
     [](RingConfig& c, const toml::node& n, const Reader& r) { c.batch_wait_us = r.u32(n, 0, 10000); }},
    {"iowq_max_bounded", "0", "cap on io-wq workers for file I/O per worker ring; 0 = kernel default",
     [](RingConfig& c, const toml::node& n, const Reader& r) { c.iowq_max_bounded = r.u32(n, 0, 4096); }},
    {"iowq_max_unbounded", "0", "cap on io-wq workers for socket splices per worker ring; 0 = kernel default",
     [](RingConfig& c, const toml::node& n, const Reader& r) { c.iowq_max_unbounded = r.u32(n, 0, 65536); }},
};

const Directive<LimitsConfig> kLimits[] = {
    {"max_connections", "4096", "open connections per worker; when full, accepting pauses until one closes",
     [](LimitsConfig& c, const toml::node& n, const Reader& r) { c.max_connections = r.u32(n, 1, 1 << 20); }},
    {"header_buffer_size", "16384", "request line + headers must fit (else 414/431)",
     [](LimitsConfig& c, const toml::node& n, const Reader& r) { c.header_buffer_size = r.size(n, 1024, 1 << 20); }},
    {"max_uri", "8192", "longest request target (else 414)",
     [](LimitsConfig& c, const toml::node& n, const Reader& r) { c.max_uri = r.size(n, 64, 1 << 20); }},
    {"max_body", "65536", "request bodies (on any method) are read and discarded up to this size (else 413)",
     [](LimitsConfig& c, const toml::node& n, const Reader& r) { c.max_body = r.size(n, 0, kMax); }},
    {"max_ranges", "16", "ranges one request may ask for (at most 64); more get the whole file with 200",
     [](LimitsConfig& c, const toml::node& n, const Reader& r) { c.max_ranges = r.u32(n, 1, 64); }},
    {"header_timeout_ms", "10000", "time to receive a whole request head (slowloris guard)",
     [](LimitsConfig& c, const toml::node& n, const Reader& r) {
         c.header_timeout_ms = r.duration_ms(n, 100, 3600000);
     }},
    {"keepalive_timeout_ms", "60000", "idle time allowed between requests on a connection",
     [](LimitsConfig& c, const toml::node& n, const Reader& r) {
         c.keepalive_timeout_ms = r.duration_ms(n, 100, 3600000);
     }},
    {"send_timeout_ms", "60000", "a response that makes no progress for this long is abandoned",
     [](LimitsConfig& c, const toml::node& n, const Reader& r) { c.send_timeout_ms = r.duration_ms(n, 100, 3600000); }},
    {"drain_timeout_ms", "30000", "on SIGTERM, in-flight responses get this long to finish",
     [](LimitsConfig& c, const toml::node& n, const Reader& r) { c.drain_timeout_ms = r.duration_ms(n, 0, 3600000); }},
    {"drain_delay_ms", "0",
     "on SIGTERM, first answer /healthz with 503 and close connections after each response while still accepting, for "
     "this long (a load balancer's check interval × fall), then drain",
     [](LimitsConfig& c, const toml::node& n, const Reader& r) { c.drain_delay_ms = r.duration_ms(n, 0, 600000); }},
};

const Directive<CacheConfig> kCache[] = {
    {"max_entries", "1024", "open files (and failed opens) remembered per worker, least recently used out first",
     [](CacheConfig& c, const toml::node& n, const Reader& r) { c.max_entries = r.u32(n, 1, 1 << 20); }},
    {"valid_ms", "1000",
     "an entry older than this is opened and checked again; a change inotify reports drops it at once (0 = no cache)",
     [](CacheConfig& c, const toml::node& n, const Reader& r) { c.valid_ms = r.duration_ms(n, 0, 3600000); }},
    {"small_file_max", "16384", "files up to this size are kept in memory whole: one send per request; 0 = never",
     [](CacheConfig& c, const toml::node& n, const Reader& r) { c.small_file_max = r.size(n, 0, 1 << 24); }},
    {"body_budget", "16777216", "bytes of kept file bodies per worker",
     [](CacheConfig& c, const toml::node& n, const Reader& r) { c.body_budget = r.size(n, 0, kMax); }},
};

const Directive<AdminConfig> kAdmin[] = {
    {"enabled", "false", "serve /metrics (Prometheus text) and /healthz on an admin listener",
     [](AdminConfig& c, const toml::node& n, const Reader& r) { c.enabled = r.boolean(n); }},
    {"address", "\"127.0.0.1:9145\"", "the admin listener's address; keep it on loopback or a private network",
     [](AdminConfig& c, const toml::node& n, const Reader& r) { c.address_text = r.string(n); }},
};

const Directive<LogConfig> kLog[] = {
    {"level", "\"info\"", "error log level: trace|debug|info|warn|error|critical|off",
     [](LogConfig& c, const toml::node& n, const Reader& r) {
         static constexpr std::string_view kLevels = "trace|debug|info|warn|error|critical|off";
         const auto i = r.choice(n, kLevels);
         std::string_view rest = kLevels;
         for (std::size_t k = 0; k < i; ++k) rest = rest.substr(rest.find('|') + 1);
         c.level = std::string(rest.substr(0, rest.find('|')));
     }},
};

const Directive<TlsConfig> kTls[] = {
    {"certificate", "\"\"", "PEM certificate chain (leaf first) for TLS listeners; relative to this file",
     [](TlsConfig& c, const toml::node& n, const Reader& r) {
         c.certificate = r.string(n);
         c.certificate_line = Reader::line(n);
     }},
    {"key", "\"\"", "PEM private key (ECDSA or RSA) of that certificate",
     [](TlsConfig& c, const toml::node& n, const Reader& r) {
         c.key = r.string(n);
         c.key_line = Reader::line(n);
     }},
    {"min_version", "\"1.2\"", "oldest TLS version accepted: 1.2|1.3 (only AEAD suites are offered)",
     [](TlsConfig& c, const toml::node& n, const Reader& r) {
         c.min_version = r.choice(n, "1.2|1.3") == 0 ? "1.2" : "1.3";
     }},
    {"ktls", "\"auto\"",
     "kernel TLS for transmit: auto|required|off (auto: where the kernel has it; required: refuse to start without)",
     [](TlsConfig& c, const toml::node& n, const Reader& r) {
         c.ktls = static_cast<Ktls>(r.choice(n, "auto|required|off"));
     }},
    {"session_tickets", "true", "TLS session resumption with stateless tickets",
     [](TlsConfig& c, const toml::node& n, const Reader& r) { c.session_tickets = r.boolean(n); }},
    {"session_ticket_keys", "\"\"",
     "file of 80-byte ticket keys a fleet shares (the first seals, all open; openssl rand 80 > FILE); empty: random "
     "keys, a new one hourly, kept across reloads",
     [](TlsConfig& c, const toml::node& n, const Reader& r) {
         c.session_ticket_keys = r.string(n);
         c.session_ticket_keys_line = Reader::line(n);
     }},
    {"ocsp_stapling", "true",
     "staple the CA's OCSP answer for certificates that name a responder (asked off the workers, renewed before it "
     "expires)",
     [](TlsConfig& c, const toml::node& n, const Reader& r) { c.ocsp_stapling = r.boolean(n); }},
    {"handshake_timeout_ms", "10000", "a TLS handshake not finished in this time is dropped",
     [](TlsConfig& c, const toml::node& n, const Reader& r) {
         c.handshake_timeout_ms = r.duration_ms(n, 100, 3600000);
     }},
};

const Directive<CertificateConfig> kCertificate[] = {
    {"server_names", "(required)",
     "SNI names this certificate answers (exact, or \"*.example.com\" where no certificate names the host exactly)",
     [](CertificateConfig& c, const toml::node& n, const Reader& r) {
         c.server_names = r.strings(n);
         if (c.server_names.empty()) r.error(n, "server_names must not be empty");
         for (auto& s : c.server_names)
             if (s.size() > 1 && s.ends_with('.')) s.pop_back();  // SNI never carries the dot
     }},
    {"certificate", "(required)", "PEM certificate chain for those names",
     [](CertificateConfig& c, const toml::node& n, const Reader& r) {
         c.certificate = r.string(n);
         c.certificate_line = Reader::line(n);
     }},
    {"key", "(required)", "PEM private key for that certificate",
     [](CertificateConfig& c, const toml::node& n, const Reader& r) {
         c.key = r.string(n);
         c.key_line = Reader::line(n);
     }},
};

const Directive<ListenConfig> kListen[] = {
    {"address", "(required)", "\"host:port\", \"[v6]:port\" or \":port\" (all addresses, dual-stack)",
     [](ListenConfig& c, const toml::node& n, const Reader& r) {
         c.address_text = r.string(n);
         const auto a = parse_address(c.address_text);
         if (!a) r.error(n, fmt::format("invalid address \"{}\" (expected host:port)", c.address_text));
         c.address = *a;
     }},
    {"tls", "false", "HTTPS on this listener (needs [tls] certificate and key)",
     [](ListenConfig& c, const toml::node& n, const Reader& r) { c.tls = r.boolean(n); }},
    {"https_redirect", "false",
     "answer every request with a redirect to the same host and path over https (301, or 308 for methods other than "
     "GET/HEAD)",
     [](ListenConfig& c, const toml::node& n, const Reader& r) { c.https_redirect = r.boolean(n); }},
    {"http2", "true",
     "HTTP/2 on this listener: chosen by ALPN (h2) on tls, by the client's prior knowledge (h2c) on plain HTTP",
     [](ListenConfig& c, const toml::node& n, const Reader& r) { c.http2 = r.boolean(n); }},
    {"proxy_protocol", "false",
     "every connection starts with a PROXY protocol header (v1 or v2, as haproxy's send-proxy[-v2]), read before TLS; "
     "its client address is the one logged. Needs proxy_from",
     [](ListenConfig& c, const toml::node& n, const Reader& r) { c.proxy_protocol = r.boolean(n); }},
    {"proxy_from", "[]",
     "networks (\"10.0.0.0/8\", \"::1\") whose connections may send that header; any other connection is closed",
     [](ListenConfig& c, const toml::node& n, const Reader& r) {
         for (const auto& s : r.strings(n)) {
             const auto net = parse_network(s);
             if (!net)
                 r.error(n,
                         fmt::format("proxy_from: invalid network \"{}\" (expected an address or address/prefix)", s));
             c.proxy_from.push_back(*net);
         }
     }},
};

const Directive<SiteConfig> kSite[] = {
    {"root", "(required)", "directory served; nothing outside it is ever opened (openat2 RESOLVE_BENEATH)",
     [](SiteConfig& c, const toml::node& n, const Reader& r) {
         c.root = r.string(n);
         c.root_line = Reader::line(n);
     }},
    {"index", "[\"index.html\"]", "files tried, in order, for a request naming a directory",
     [](SiteConfig& c, const toml::node& n, const Reader& r) {
         c.index = r.strings(n);
         for (const auto& f : c.index)
             if (f.empty() || f.find('/') != std::string::npos || f == "." || f == "..")
                 r.error(n, fmt::format("index entry \"{}\" must be a plain file name", f));
     }},
    {"serve_hidden", "false", "serve dot-files and dot-directories (.well-known/ is always served)",
     [](SiteConfig& c, const toml::node& n, const Reader& r) { c.serve_hidden = r.boolean(n); }},
    {"server_names", "[]",
     "Host names this site answers (exact, or \"*.example.com\" where no site names the host exactly); no two sites "
     "share one; the first [[site]] is the default",
     [](SiteConfig& c, const toml::node& n, const Reader& r) {
         c.server_names = r.strings(n);
         for (auto& s : c.server_names) {
             if (s.size() > 1 && s.ends_with('.')) s.pop_back();  // "example.com." is example.com (as Host is)
             if (s.empty() || s.find_first_of(" :/") != std::string::npos)
                 r.error(n, fmt::format("server name \"{}\" must be a host name without port", s));
         }
     }},
    {"error_pages", "{}", "pages under the root sent with an error status, e.g. { 404 = \"/errors/404.html\" }",
     [](SiteConfig& c, const toml::node& n, const Reader& r) { c.error_pages = r.error_pages(n); }},
    {"access_log", "\"\"", "access log file of this site (appended; reopened on SIGUSR1); empty = none",
     [](SiteConfig& c, const toml::node& n, const Reader& r) { c.access_log = r.string(n); }},
    {"access_log_format", "\"combined\"", "access log format: combined (as nginx's) | json (one object per line)",
     [](SiteConfig& c, const toml::node& n, const Reader& r) {
         c.access_log_json = r.choice(n, "combined|json") == 1;
     }},
    {"listing", "false",
     "HTML listing of a directory without an index file (hidden entries never shown; read synchronously, at most 10000 "
     "entries)",
     [](SiteConfig& c, const toml::node& n, const Reader& r) { c.listing = r.boolean(n); }},
    {"precompressed", "false",
     "serve x.br, x.zst or x.gz in place of x when the client accepts that coding (Content-Encoding, Vary: "
     "Accept-Encoding)",
     [](SiteConfig& c, const toml::node& n, const Reader& r) { c.precompressed = r.boolean(n); }},
    {"nosniff", "true", "send X-Content-Type-Options: nosniff",
     [](SiteConfig& c, const toml::node& n, const Reader& r) { c.nosniff = r.boolean(n); }},
    {"hsts", "\"\"", "Strict-Transport-Security value sent over TLS, e.g. \"max-age=31536000\"; empty = none",
     [](SiteConfig& c, const toml::node& n, const Reader& r) { c.hsts = r.header_value(n); }},
    {"headers", "{}", "extra response headers on every response, e.g. { \"X-Frame-Options\" = \"DENY\" }",
     [](SiteConfig& c, const toml::node& n, const Reader& r) { c.headers = r.header_fields(n); }},
    {"cache_control", "[]",
     "Cache-Control by path, first match wins: [{ match = \"/assets/\", value = \"max-age=31536000\" }, { match = "
     "\"*.html\", value = \"no-cache\" }]",
     [](SiteConfig& c, const toml::node& n, const Reader& r) { c.cache_control = r.cache_control_rules(n); }},
};

}  // namespace

std::span<const Directive<ServerConfig>> server_directives() { return kServer; }
std::span<const Directive<RingConfig>> ring_directives() { return kRing; }
std::span<const Directive<LimitsConfig>> limits_directives() { return kLimits; }
std::span<const Directive<LogConfig>> log_directives() { return kLog; }
std::span<const Directive<AdminConfig>> admin_directives() { return kAdmin; }
std::span<const Directive<CacheConfig>> cache_directives() { return kCache; }
std::span<const Directive<TlsConfig>> tls_directives() { return kTls; }
std::span<const Directive<CertificateConfig>> certificate_directives() { return kCertificate; }
std::span<const Directive<ListenConfig>> listen_directives() { return kListen; }
std::span<const Directive<SiteConfig>> site_directives() { return kSite; }

}  // namespace uringd::config::detail
