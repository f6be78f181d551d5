#include <uringd/http/host.hpp>
#include <uringd/server/route.hpp>

#include <string>

namespace uringd::server {

namespace {

Route respond(http::Status s, bool close = false, uint8_t site = 0) {
    return {Route::Kind::Respond, s, close, site, {}, {}};
}

// The site named by Host; on TLS it must be the one the client's SNI named too
// (RFC 9110 §7.4: otherwise 421). -1 with `refusal` set when the request is refused.
int choose_site(const ServerContext& ctx, std::string_view host, std::string_view sni, http::Status& refusal) {
    // HTTP/1.0 may omit Host: then SNI, when there is one, names the site.
    if (host.empty()) host = sni;
    int site = host.empty() ? -1 : ctx.site_for(host);
    if (site < 0) {
        switch (ctx.conf.server.unknown_host) {
        case config::UnknownHost::Default: site = 0; break;
        case config::UnknownHost::NotFound: refusal = http::Status::NotFound; return -1;
        case config::UnknownHost::Misdirected: refusal = http::Status::MisdirectedRequest; return -1;
        }
    }
    if (!sni.empty()) {
        const int by_sni = ctx.site_for(sni);
        if ((by_sni < 0 ? 0 : by_sni) != site) {
            refusal = http::Status::MisdirectedRequest;
            return -1;
        }
    }
    return site;
}

}  // namespace

Route route_request(const ServerContext& ctx, const RouteInput& in, http::ResolvedTarget& target) {
    const http::Request& req = in.req;
    // RFC 9112 §3.2.2: an absolute-form target's authority overrides Host.
    const http::TargetParts parts = http::split_target(req.target);
    const auto host = http::host_name(parts.authority.empty() ? req.host : parts.authority);
    if (!host) return respond(http::Status::BadRequest, true);
    if (in.https_redirect) {
        if (host->empty()) return respond(http::Status::BadRequest, true);
        // 301 may turn a POST into a GET; 308 keeps the method (RFC 9110 §15.4).
        const bool safe = req.method == http::Method::Get || req.method == http::Method::Head;
        return {Route::Kind::Redirect,
                safe ? http::Status::MovedPermanently : http::Status::PermanentRedirect,
                false,
                0,
                *host,
                parts.path_and_query == "*" ? std::string_view("/") : parts.path_and_query};
    }
    http::Status refusal = http::Status::NotFound;
    const int chosen = choose_site(ctx, *host, in.sni, refusal);
    if (chosen < 0) return respond(refusal);
    const auto site = static_cast<uint8_t>(chosen);
    if (req.method == http::Method::Options) {
        if (req.target != "*" && http::resolve_target(req.target, target) != http::TargetError::None)
            return respond(http::Status::BadRequest, true, site);
        return respond(http::Status::NoContent, false, site);  // with Allow
    }
    if (req.method != http::Method::Get && req.method != http::Method::Head)
        return respond(http::Status::MethodNotAllowed, false, site);
    if (req.target == "*" || http::resolve_target(req.target, target) != http::TargetError::None)
        return respond(http::Status::BadRequest, true, site);  // a confused client: start over
    if (!ctx.sites[site].conf.serve_hidden && http::has_hidden_segment(target.path))
        return respond(http::Status::Forbidden, false, site);
    return {Route::Kind::Serve, http::Status::Ok, false, site, {}, {}};
}

void https_location(const ServerContext& ctx, const Route& route, std::string& out) {
    out.assign("https://");
    out += route.host;
    if (ctx.https_port != 443) {
        out += ':';
        out += std::to_string(ctx.https_port);
    }
    out += route.path_and_query;
}

}  // namespace uringd::server
