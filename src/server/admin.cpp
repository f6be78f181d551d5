// What the server tells about itself: the admin listener ([admin]: /metrics in the
// Prometheus text format, /healthz), the counting of responses for it, and the
// access-log line of each finished response.
#include <uringd/base/clock.hpp>
#include <uringd/server/worker.hpp>

#include <uringd/http/access_line.hpp>

#include <sys/socket.h>

#include <cstring>

namespace uringd::server {

// What /metrics and the access log say about the response whose head is written now.
void Worker::note_response(Connection& c, http::Status status, uint64_t body_bytes) {
    if (!is_admin(c)) ++responses_[c.site * kCountedStatuses.size() + status_index(status)];
    c.status_code = static_cast<uint16_t>(http::code(status));
    c.body_bytes = c.head_only ? 0 : body_bytes;
}

std::size_t Worker::put_head(Connection& c, const http::ResponseHead& head, std::span<char> out) {
    const bool bodiless = head.status == http::Status::NotModified || head.status == http::Status::NoContent;
    note_response(c, head.status, bodiless ? 0 : head.content_length);
    return http::write_head(head, out);
}

std::size_t Worker::put_error(Connection& c, const http::ResponseHead& head, std::span<char> out) {
    note_response(c, head.status, http::error_body_size(head.status));
    return http::write_error_response(head, c.head_only, out);
}

// The client address the access log shows: the socket's peer, or a PROXY header's.
void Worker::remember_peer(Connection& c, const sockaddr_storage& peer) {
    c.peer_len = static_cast<uint8_t>(host_text(peer, c.peer));
}

// One line per finished response, formatted here and queued for the writer thread.
void Worker::log_access(const Connection& c) {
    if (!ctx_.access_log || is_admin(c) || c.status_code == 0) return;
    const Site& site = ctx_.sites[c.site];
    if (site.log_file < 0) return;
    const http::Request& req = c.parser.request();
    http::AccessRecord r;
    r.peer = {c.peer.data(), c.peer_len};
    r.time = clock::wall_seconds();
    r.method = req.method_name;
    r.target = req.target;
    r.host = req.host;
    r.referer = req.header("Referer").value_or("");
    r.user_agent = req.header("User-Agent").value_or("");
    r.version_minor = req.version_minor;
    r.status = c.status_code;
    r.bytes = c.body_bytes;
    r.duration_us = clock::monotonic_us() - c.request_us;
    if (c.tls) {
        r.tls_version = c.tls->version();
        r.tls_cipher = c.tls->cipher();
        r.alpn = c.tls->alpn();
    }
    log_line_.clear();
    if (site.conf.access_log_json) http::append_json(log_line_, r);
    else http::append_combined(log_line_, r);
    ctx_.access_log->append(opts_.index, static_cast<uint16_t>(site.log_file), log_line_);
}

void Worker::publish_metrics() {
    if (!ctx_.metrics) return;
    const WorkerNumbers n{counters_.accepted,       counters_.refused,      live_,
                          counters_.bytes_copy,     counters_.bytes_splice, counters_.bytes_zc,
                          counters_.tls_handshakes, counters_.tls_failures, counters_.tls_userspace,
                          counters_.tls_ktls,       cache_.hits(),          cache_.misses(),
                          ctx_.access_log ? ctx_.access_log->dropped(opts_.index) : 0,
                          counters_.timed_out_handshake, counters_.timed_out_header,
                          counters_.timed_out_keepalive, counters_.timed_out_send, counters_.spills,
                          counters_.proxy_ok, counters_.proxy_untrusted, counters_.proxy_invalid,
                          counters_.proxy_timed_out};
    ctx_.metrics->publish(opts_.index, n, responses_);
}

void Worker::serve_admin(Connection& c) {
    const http::Request& req = c.parser.request();
    if (req.method != http::Method::Get && req.method != http::Method::Head)
        return respond_simple(c, http::Status::MethodNotAllowed);
    const std::string_view path = req.target.substr(0, req.target.find('?'));
    std::string body;
    http::Status status = http::Status::Ok;
    if (path == "/metrics" && ctx_.metrics) {
        publish_metrics();  // this worker's numbers are current; the others' at most a tick old
        body = ctx_.metrics->render();
    } else if (path == "/healthz") {
        // A balancer's health check: 503 from the moment a stop begins, so the node
        // is taken out while it still serves (drain_delay_ms).
        const bool stopping = draining_ || ctx_.stopping->load(std::memory_order_relaxed);
        body = stopping ? "draining\n" : "ok\n";
        if (stopping) status = http::Status::ServiceUnavailable;
    } else {
        return respond_simple(c, http::Status::NotFound);
    }
    c.simple_status = http::Status::ServiceUnavailable;  // if it must park: a scrape can be retried
    if (!take_buffer(c, Pending::Simple)) return;
    http::ResponseHead head;
    head.status = status;
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
