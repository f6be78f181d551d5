// The admin listener ([admin]): /metrics in the Prometheus text format and /healthz.
// Also where responses are counted for it.
#include <uringd/base/clock.hpp>
#include <uringd/server/worker.hpp>

#include <cstring>

namespace uringd::server {

std::size_t Worker::put_head(const Connection& c, const http::ResponseHead& head, std::span<char> out) {
    if (!is_admin(c)) ++responses_[c.site * kCountedStatuses.size() + status_index(head.status)];
    return http::write_head(head, out);
}

std::size_t Worker::put_error(const Connection& c, const http::ResponseHead& head, std::span<char> out) {
    if (!is_admin(c)) ++responses_[c.site * kCountedStatuses.size() + status_index(head.status)];
    return http::write_error_response(head, c.head_only, out);
}

void Worker::publish_metrics() {
    if (!ctx_.metrics) return;
    const WorkerNumbers n{counters_.accepted,       counters_.refused,      live_,
                          counters_.bytes_copy,     counters_.bytes_splice, counters_.bytes_zc,
                          counters_.tls_handshakes, counters_.tls_failures, counters_.tls_userspace,
                          counters_.tls_ktls,       cache_.hits(),          cache_.misses()};
    ctx_.metrics->publish(opts_.index, n, responses_);
}

void Worker::serve_admin(Connection& c) {
    const http::Request& req = c.parser.request();
    if (req.method != http::Method::Get && req.method != http::Method::Head)
        return respond_simple(c, http::Status::MethodNotAllowed);
    const std::string_view path = req.target.substr(0, req.target.find('?'));
    std::string body;
    if (path == "/metrics" && ctx_.metrics) {
        publish_metrics();  // this worker's numbers are current; the others' at most a tick old
        body = ctx_.metrics->render();
    } else if (path == "/healthz") {
        body = "ok\n";
    } else {
        return respond_simple(c, http::Status::NotFound);
    }
    c.simple_status = http::Status::ServiceUnavailable;  // if it must park: a scrape can be retried
    if (!take_buffer(c, Pending::Simple)) return;
    http::ResponseHead head;
    head.date = date_.get(clock::wall_seconds());
    head.content_type = path == "/metrics" ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain";
    head.content_length = body.size();
    head.keep_alive = c.keep_alive;
    head.http10_keep_alive = c.http10_keep_alive;
    const auto out = plain_area(c);
    const std::size_t n = put_head(c, head, out);
    if (n == 0 || body.size() > out.size() - n) return respond_simple(c, http::Status::InternalServerError, true);
    if (!c.head_only) std::memcpy(out.data() + n, body.data(), body.size());
    start_send(c, static_cast<uint32_t>(n + (c.head_only ? 0 : body.size())));
}

}  // namespace uringd::server
