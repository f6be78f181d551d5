#include <uringd/base/error.hpp>
#include <uringd/server/context.hpp>

#include <fcntl.h>

#include <cerrno>

namespace uringd::server {

std::vector<Site> open_sites(const config::Config& conf) {
    std::vector<Site> sites;
    for (const auto& s : conf.sites) {
        UniqueFd root(::open(s.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!root) throw_errno(errno, fmt::format("{}:{}: root \"{}\"", conf.source, s.line, s.root));
        sites.push_back(Site{s, std::move(root)});
    }
    return sites;
}

std::unique_ptr<tls::ContextSet> load_tls(const config::Config& conf) {
    if (!conf.has_tls_listener()) return nullptr;
    tls::ContextOptions o;
    o.min_version = conf.tls.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
    o.session_tickets = conf.tls.session_tickets;
    o.certificates.push_back({conf.tls.certificate, conf.tls.key, {}, fmt::format("{}:{}", conf.source, conf.tls.line)});
    for (const auto& c : conf.certificates)
        o.certificates.push_back({c.certificate, c.key, c.server_names, fmt::format("{}:{}", conf.source, c.line)});
    return std::make_unique<tls::ContextSet>(o);
}

}  // namespace uringd::server
