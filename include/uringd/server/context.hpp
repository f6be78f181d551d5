#pragma once
// What every worker reads and nobody writes after start-up: the configuration, the
// MIME table and the open site roots.
#include <uringd/base/unique_fd.hpp>
#include <uringd/config/config.hpp>
#include <uringd/http/h2_fields.hpp>
#include <uringd/http/mime.hpp>
#include <uringd/server/access_log.hpp>
#include <uringd/server/metrics.hpp>
#include <uringd/tls/context.hpp>

#include <atomic>
#include <memory>
#include <vector>

namespace uringd::server {

struct Site {
    config::SiteConfig conf;
    UniqueFd root;  // O_PATH|O_DIRECTORY; every file is opened beneath it
    // Header lines every response of this site carries (nosniff, `headers`), and
    // the same plus Strict-Transport-Security for TLS connections.
    std::string extra_plain;
    std::string extra_tls;
    std::string_view extra_for(bool tls) const { return tls ? extra_tls : extra_plain; }
    // The same as HTTP/2 fields (http::append_h2_lines), converted once.
    http::H2Fields extra_plain_h2;
    http::H2Fields extra_tls_h2;
    const http::H2Fields& extra_h2_for(bool tls) const { return tls ? extra_tls_h2 : extra_plain_h2; }
    int log_file = -1;  // index in the AccessLog's files, -1: no access log

    // The Cache-Control value for a normalised path ("a/b.css"); empty: none.
    std::string_view cache_control_for(std::string_view path) const;
};

// The certificates new TLS connections use: replaced as a whole by the main thread
// when the files change on disk (CertificateWatcher), read by the workers at each
// accept. A connection keeps the set it started with (its SSL_CTX and SNI callback
// point into it) until it closes.
class TlsStore {
public:
    explicit TlsStore(std::shared_ptr<const tls::ContextSet> first) : set_(std::move(first)) {}
    std::shared_ptr<const tls::ContextSet> current() const { return set_.load(std::memory_order_acquire); }
    void replace(std::shared_ptr<const tls::ContextSet> next) {
        set_.store(std::move(next), std::memory_order_release);
    }

private:
    std::atomic<std::shared_ptr<const tls::ContextSet>> set_;
};

struct ServerContext {
    config::Config conf;
    http::MimeTypes mime;
    std::vector<Site> sites;
    std::unique_ptr<TlsStore> tls;     // null without TLS listeners
    bool ktls = false;                 // offer TLS connections' write keys to the kernel
    uint16_t https_port = 443;         // where https_redirect listeners send clients
    std::unique_ptr<Metrics> metrics;  // one WorkerStats per worker, written by its worker
    // Null when no site logs. Shared: a generation draining after a reload still
    // writes lines, and SIGUSR1 must reach its log too (the daemon keeps a weak_ptr).
    std::shared_ptr<AccessLog> access_log;
    // Set by the main thread when a stop begins (before the drain_delay): /healthz
    // answers 503 and responses close their connections from then on.
    std::unique_ptr<std::atomic<bool>> stopping = std::make_unique<std::atomic<bool>>(false);

    // The site whose server_names match `host` (a host name without port), or -1.
    int site_for(std::string_view host) const;
};

// Opens the site roots. Throws uringd::Error when one cannot be opened.
std::vector<Site> open_sites(const config::Config& conf);
// Loads the certificates when a listener needs TLS (null otherwise). Throws
// uringd::Error naming the conf line.
std::unique_ptr<tls::ContextSet> load_tls(const config::Config& conf);

}  // namespace uringd::server
