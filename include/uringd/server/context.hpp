#pragma once
// What every worker reads and nobody writes after start-up: the configuration, the
// MIME table and the open site roots.
#include <uringd/base/unique_fd.hpp>
#include <uringd/config/config.hpp>
#include <uringd/http/mime.hpp>
#include <uringd/tls/context.hpp>

#include <memory>

#include <vector>

namespace uringd::server {

struct Site {
    config::SiteConfig conf;
    UniqueFd root;  // O_PATH|O_DIRECTORY; every file is opened beneath it
};

struct ServerContext {
    config::Config conf;
    http::MimeTypes mime;
    std::vector<Site> sites;
    std::unique_ptr<tls::ContextSet> tls;  // null without TLS listeners
    bool ktls = false;  // offer TLS connections' write keys to the kernel
};

// Opens the site roots. Throws uringd::Error when one cannot be opened.
std::vector<Site> open_sites(const config::Config& conf);
// Loads the certificates when a listener needs TLS (null otherwise). Throws
// uringd::Error naming the conf line.
std::unique_ptr<tls::ContextSet> load_tls(const config::Config& conf);

}  // namespace uringd::server
