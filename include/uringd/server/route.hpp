#pragma once
// What a parsed request asks for, decided without I/O: which site, whether it is
// redirected or refused, and the normalised path to open. Worker::handle_request
// acts on the answer; the request fuzzer (tests/fuzz) drives it with raw bytes.
#include <uringd/http/path.hpp>
#include <uringd/http/request.hpp>
#include <uringd/http/status.hpp>
#include <uringd/server/context.hpp>

#include <string>
#include <string_view>

namespace uringd::server {

struct Route {
    enum class Kind : uint8_t {
        Respond,   // answer `status` with no file (`close`: then close the connection)
        Redirect,  // https_redirect listener: to https://`host``path_and_query`
        Serve,     // open the target's path under `site`'s root
    };
    Kind kind = Kind::Respond;
    http::Status status = http::Status::Ok;
    bool close = false;
    uint8_t site = 0;
    std::string_view host;            // Redirect
    std::string_view path_and_query;  // Redirect
};

struct RouteInput {
    const http::Request& req;
    std::string_view sni;         // the TLS client's server name; empty on plain HTTP
    bool https_redirect = false;  // the listener only redirects to HTTPS
};

// Decides the route; `target` receives the normalised path for Serve (and is
// reused across requests so its capacity is kept).
Route route_request(const ServerContext& ctx, const RouteInput& in, http::ResolvedTarget& target);
// A Redirect route's Location: https://host[:port]/path?query.
void https_location(const ServerContext& ctx, const Route& route, std::string& out);

}  // namespace uringd::server
