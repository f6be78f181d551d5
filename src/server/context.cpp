#include <uringd/base/error.hpp>
#include <uringd/base/host_name.hpp>
#include <uringd/http/h2_fields.hpp>
#include <uringd/server/context.hpp>

#include <fcntl.h>

#include <cerrno>

namespace uringd::server {

std::string_view Site::cache_control_for(std::string_view path) const {
    for (const auto& rule : conf.cache_control) {
        const std::string_view m = rule.match;
        // "/assets/" against "assets/x.css"; "*.css" against the last segment.
        if (m.starts_with('/') ? path.starts_with(m.substr(1)) : path.ends_with(m.substr(1))) return rule.value;
    }
    return {};
}

int ServerContext::site_for(std::string_view host) const {
    return find_host_match(
        sites, host, [](const Site& s) -> const auto& { return s.conf.server_names; });
}

std::vector<Site> open_sites(const config::Config& conf) {
    std::vector<Site> sites;
    for (const auto& s : conf.sites) {
        UniqueFd root(::open(s.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!root) throw_errno(errno, fmt::format("{}:{}: root \"{}\"", conf.source, s.line, s.root));
        Site site{s, std::move(root), {}, {}, {}, {}, -1};
        if (s.nosniff) site.extra_plain += "X-Content-Type-Options: nosniff\r\n";
        for (const auto& h : s.headers) site.extra_plain += fmt::format("{}: {}\r\n", h.name, h.value);
        site.extra_tls = site.extra_plain;
        if (!s.hsts.empty()) site.extra_tls += fmt::format("Strict-Transport-Security: {}\r\n", s.hsts);
        http::append_h2_lines(site.extra_plain, site.extra_plain_h2);
        http::append_h2_lines(site.extra_tls, site.extra_tls_h2);
        sites.push_back(std::move(site));
    }
    return sites;
}

std::unique_ptr<tls::ContextSet> load_tls(const config::Config& conf) {
    if (!conf.has_tls_listener()) return nullptr;
    tls::ContextOptions o;
    o.min_version = conf.tls.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
    o.session_tickets = conf.tls.session_tickets;
    // Generated keys belong to the process, so tickets outlive reloads and renewals.
    static const std::shared_ptr<const tls::TicketKeys> generated = tls::TicketKeys::generated();
    o.ticket_keys =
        conf.tls.session_ticket_keys.empty()
            ? generated
            : tls::TicketKeys::from_file(conf.tls.session_ticket_keys,
                                         fmt::format("{}:{}", conf.source, conf.tls.session_ticket_keys_line));
    o.certificates.push_back(
        {conf.tls.certificate, conf.tls.key, {}, fmt::format("{}:{}", conf.source, conf.tls.certificate_line)});
    for (const auto& c : conf.certificates)
        o.certificates.push_back(
            {c.certificate, c.key, c.server_names, fmt::format("{}:{}", conf.source, c.certificate_line)});
    return std::make_unique<tls::ContextSet>(o);
}

}  // namespace uringd::server
