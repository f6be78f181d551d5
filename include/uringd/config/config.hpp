#pragma once
// The validated, immutable configuration. Built once from the TOML conf file;
// workers read it without locks. Errors are thrown as ConfigError("FILE:LINE: …").
#include <uringd/base/address.hpp>
#include <uringd/base/error.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace uringd::config {

class ConfigError : public Error {
public:
    using Error::Error;
};

enum class SqPoll : uint8_t { Auto, On, Off };
enum class PinWorkers : uint8_t { Auto, On, Off };
// splice: file → pipe → socket; read: READ_FIXED chunks + SEND; mmap: SEND from the
// file's mapping, one SQE per 2 MiB (MSG_WAITALL: the kernel waits for room itself).
enum class LargeBody : uint8_t { Splice, Read, Mmap, Sendfile };
enum class UnknownHost : uint8_t { Default, NotFound, Misdirected };

struct ServerConfig {
    uint32_t workers = 0;  // 0: one per CPU in the affinity mask
    bool incoming_cpu = false;
    PinWorkers pin_workers = PinWorkers::Auto;  // auto: pinned only with incoming_cpu
    UnknownHost unknown_host = UnknownHost::Default;
    std::string user;   // started as root: switch to this user after binding
    std::string group;  // empty: the user's own group
    bool allow_root = false;
    std::string mime_types = "/etc/mime.types";
};

struct RingConfig {
    SqPoll sqpoll = SqPoll::Auto;
    bool sqpoll_shared = false;
    uint32_t sqpoll_idle_ms = 1000;
    uint32_t entries = 1024;
    uint32_t recv_buffers = 256;
    uint32_t recv_buffer_size = 4096;
    uint32_t fixed_buffers = 128;
    uint32_t fixed_buffer_size = 128 * 1024;
    uint32_t send_zc_threshold = 0;  // 0: never SEND_ZC (see docs/io_uring.md)
    uint32_t pipe_size = 256 * 1024;
    LargeBody large_body = LargeBody::Mmap;  // how file bodies leave when not from memory (not user-space TLS)
    uint32_t batch_wait_us = 0;              // min_wait_usec of each wait; 0 = wake on the first completion
    uint32_t iowq_max_bounded = 0;           // 0: kernel default
    uint32_t iowq_max_unbounded = 0;         // 0: kernel default
};

struct LimitsConfig {
    uint32_t max_connections = 4096;  // per worker
    uint32_t header_buffer_size = 16384;
    uint32_t max_uri = 8192;
    uint32_t max_body = 65536;
    uint32_t max_ranges = 16;
    uint32_t header_timeout_ms = 10000;
    uint32_t keepalive_timeout_ms = 60000;
    uint32_t send_timeout_ms = 60000;
    uint32_t drain_timeout_ms = 30000;
    uint32_t drain_delay_ms = 0;  // on SIGTERM: /healthz 503 while still serving, then the drain
};

enum class Ktls : uint8_t { Auto, Required, Off };

struct TlsConfig {
    std::string certificate;  // default certificate chain (PEM)
    std::string key;
    std::string min_version = "1.2";  // "1.2" | "1.3"
    Ktls ktls = Ktls::Auto;
    bool session_tickets = true;
    std::string session_ticket_keys;  // a file of 80-byte keys; empty: generated
    bool ocsp_stapling = true;
    uint32_t handshake_timeout_ms = 10000;
    int line = 0;  // of [tls], for errors
    int certificate_line = 0, key_line = 0, session_ticket_keys_line = 0;
};

// Further certificates, chosen by SNI ([[certificate]] blocks).
struct CertificateConfig {
    std::vector<std::string> server_names;
    std::string certificate;
    std::string key;
    std::string source;  // the file that declared it (the conf, or one it includes)
    int line = 0;
    int certificate_line = 0, key_line = 0;
};

struct CacheConfig {
    uint32_t max_entries = 1024;  // per worker
    uint32_t valid_ms = 1000;
    uint32_t small_file_max = 16384;
    uint32_t body_budget = 16u << 20;  // per worker
};

struct AdminConfig {
    bool enabled = false;
    std::string address_text = "127.0.0.1:9145";
    SocketAddress address;  // parsed at load when enabled
    int line = 0;
};

struct LogConfig {
    std::string level = "info";
};

struct ListenConfig {
    std::string address_text;
    SocketAddress address;
    bool tls = false;
    bool https_redirect = false;      // answer everything with a redirect to https
    bool proxy_protocol = false;      // a PROXY v1/v2 header precedes each connection's bytes
    bool http2 = true;                // HTTP/2: ALPN h2 on TLS, prior knowledge (h2c) on plain
    std::vector<Network> proxy_from;  // the balancers allowed to send it
    int line = 0;
};

struct HeaderField {
    std::string name;
    std::string value;
};

struct ErrorPage {
    uint16_t status = 0;
    std::string path;  // relative to the root, no leading '/'
};

// Cache-Control for paths: "/prefix/" (a path prefix) or "*.ext" (an extension).
struct CacheControlRule {
    std::string match;
    std::string value;
};

struct SiteConfig {
    std::string root;
    std::vector<std::string> server_names;  // exact or "*.example.com"
    std::vector<std::string> index = {"index.html"};
    bool serve_hidden = false;
    bool nosniff = true;
    bool precompressed = false;
    bool listing = false;
    std::string access_log;        // path; empty: none
    bool access_log_json = false;  // else combined
    std::string hsts;              // Strict-Transport-Security value on TLS; empty: none
    std::vector<HeaderField> headers;
    std::vector<CacheControlRule> cache_control;
    std::vector<ErrorPage> error_pages;
    std::string source;  // the file that declared it (the conf, or one it includes)
    int line = 0;
    int root_line = 0;
};

struct Config {
    std::string source;                 // the conf file's path
    std::vector<std::string> included;  // files `include` named, in the order read
    ServerConfig server;
    RingConfig io_uring;
    LimitsConfig limits;
    CacheConfig cache;
    LogConfig log;
    AdminConfig admin;
    TlsConfig tls;
    std::vector<CertificateConfig> certificates;
    std::vector<ListenConfig> listen;
    std::vector<SiteConfig> sites;

    bool has_tls_listener() const;
};

// Parses and validates (roots exist and are directories, addresses parse, values in
// range). Throws ConfigError naming FILE:LINE.
Config load_file(const std::string& path);
// Same, from text (`source` names it in errors); roots are still checked on disk.
Config load_text(std::string_view text, const std::string& source);

// The configuration `conf` was loaded from, re-read, with every key of every section:
// its value in the file or its default (`uringd -T`).
std::string effective_text(const Config& conf);

// One line per directive: "section.key = default  # doc", for docs and tests.
struct DirectiveInfo {
    std::string_view section;
    std::string_view key;
    std::string_view default_text;
    std::string_view doc;
};
std::vector<DirectiveInfo> directives();
// The uringd.conf(5) manual page (roff), from directives().
std::string conf_manual();

}  // namespace uringd::config
