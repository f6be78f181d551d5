// What the server tells about itself: the admin listener ([admin]: /metrics in the
// Prometheus text format, /healthz), the counting of responses for it, and the
// access-log line of each finished response.
#include <uringd/base/clock.hpp>
#include <uringd/server/responder.hpp>

#include <uringd/http/access_line.hpp>

#include <sys/socket.h>

#include <cstring>

namespace uringd::server {

void Responder::serve_admin(Connection& c) {
    const http::Request& req = c.parser.request();
    if (req.method != http::Method::Get && req.method != http::Method::Head)
        return respond_simple(c, c.ex, http::Status::MethodNotAllowed);
    const std::string_view path = req.target.substr(0, req.target.find('?'));
    std::string body;
    http::Status status = http::Status::Ok;
    if (path == "/metrics" && core_.ctx.metrics) {
        telemetry_.publish_metrics();  // this worker's numbers are current; the others' at most a tick old
        body = core_.ctx.metrics->render();
    } else if (path == "/healthz") {
        // A balancer's health check: 503 from the moment a stop begins, so the node
        // is taken out while it still serves (drain_delay_ms).
        const bool stopping = core_.draining || core_.ctx.stopping->load(std::memory_order_relaxed);
        body = stopping ? "draining\n" : "ok\n";
        if (stopping) status = http::Status::ServiceUnavailable;
    } else {
        return respond_simple(c, c.ex, http::Status::NotFound);
    }
    c.ex.simple_status = http::Status::ServiceUnavailable;  // if it must park: a scrape can be retried
    if (!core_.take_buffer(c, Pending::Simple)) return;
    http::ResponseHead head;
    head.status = status;
    head.date = date_.get(clock::wall_seconds());
    head.content_type = path == "/metrics" ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain";
    head.content_length = body.size();
    head.keep_alive = c.keep_alive;
    head.http10_keep_alive = c.ex.http10_keep_alive;
    const auto out = transport_.plain_area(c);
    const std::size_t n = telemetry_.put_head(c, c.ex, head, out);
    if (n == 0 || body.size() > out.size() - n) return respond_simple(c, c.ex, http::Status::InternalServerError, true);
    if (!c.ex.head_only) std::memcpy(out.data() + n, body.data(), body.size());
    transport_.start_send(c, static_cast<uint32_t>(n + (c.ex.head_only ? 0 : body.size())));
}

}  // namespace uringd::server
