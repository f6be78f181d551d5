// What a worker tells about its work: responses counted for /metrics, its numbers
// published, the access-log line of each finished response.
#include <uringd/base/clock.hpp>
#include <uringd/http/access_line.hpp>
#include <uringd/server/telemetry.hpp>

namespace uringd::server {

Telemetry::Telemetry(WorkerCore& core, const fs::FileCache& cache)
    : core_(core),
      cache_(cache),
      responses_(core.ctx.sites.size() * kCountedStatuses.size(), 0) {}

// What /metrics and the access log say about the response whose head is written now.
void Telemetry::note_response(const Connection& c, Exchange& x, http::Status status, uint64_t body_bytes) {
    if (!core_.is_admin(c)) ++responses_[x.site * kCountedStatuses.size() + status_index(status)];
    x.status_code = static_cast<uint16_t>(http::code(status));
    x.body_bytes = x.head_only ? 0 : body_bytes;
}

void Telemetry::note_head(const Connection& c, Exchange& x, const http::ResponseHead& head) {
    const bool bodiless = head.status == http::Status::NotModified || head.status == http::Status::NoContent;
    note_response(c, x, head.status, bodiless ? 0 : head.content_length);
}

std::size_t Telemetry::put_head(const Connection& c, Exchange& x, const http::ResponseHead& head, std::span<char> out) {
    note_head(c, x, head);
    return http::write_head(head, out);
}

std::size_t Telemetry::put_error(const Connection& c, Exchange& x, const http::ResponseHead& head,
                                 std::span<char> out) {
    note_response(c, x, head.status, http::error_body_size(head.status));
    return http::write_error_response(head, x.head_only, out);
}

// One line per finished response, formatted here and queued for the writer thread.
void Telemetry::log_access(const Connection& c, const Exchange& x) {
    if (!core_.ctx.access_log || core_.is_admin(c) || x.status_code == 0) return;
    const Site& site = core_.ctx.sites[x.site];
    if (site.log_file < 0) return;
    const http::Request& req = x.request ? *x.request : c.parser.request();
    http::AccessRecord r;
    r.peer = {c.peer.data(), c.peer_len};
    r.time = clock::wall_seconds();
    r.method = req.method_name;
    r.target = req.target;
    r.host = req.host;
    r.referer = req.header("Referer").value_or("");
    r.user_agent = req.header("User-Agent").value_or("");
    r.version_major = req.version_major;
    r.version_minor = req.version_minor;
    r.status = x.status_code;
    r.bytes = x.body_bytes;
    r.duration_us = clock::monotonic_us() - x.request_us;
    if (c.tls) {
        r.tls_version = c.tls->version();
        r.tls_cipher = c.tls->cipher();
        r.alpn = c.tls->alpn();
    }
    log_line_.clear();
    if (site.conf.access_log_json) http::append_json(log_line_, r);
    else http::append_combined(log_line_, r);
    core_.ctx.access_log->append(core_.index, static_cast<uint16_t>(site.log_file), log_line_);
}

void Telemetry::publish_metrics() {
    if (!core_.ctx.metrics) return;
    const WorkerNumbers n{core_.counters.accepted,
                          core_.counters.refused,
                          core_.live,
                          core_.counters.bytes_copy,
                          core_.counters.bytes_splice,
                          core_.counters.bytes_zc,
                          core_.counters.bytes_sendfile,
                          core_.counters.tls_handshakes,
                          core_.counters.tls_resumed,
                          core_.counters.tls_failures,
                          core_.counters.tls_userspace,
                          core_.counters.tls_ktls,
                          cache_.hits(),
                          cache_.misses(),
                          core_.ctx.access_log ? core_.ctx.access_log->dropped(core_.index) : 0,
                          core_.counters.timed_out_handshake,
                          core_.counters.timed_out_header,
                          core_.counters.timed_out_keepalive,
                          core_.counters.timed_out_send,
                          core_.counters.spills,
                          core_.counters.proxy_ok,
                          core_.counters.proxy_untrusted,
                          core_.counters.proxy_invalid,
                          core_.counters.proxy_timed_out,
                          core_.counters.h2_connections,
                          core_.counters.h2_streams,
                          core_.counters.h2_goaway_no_error,
                          core_.counters.h2_goaway_protocol,
                          core_.counters.h2_goaway_calm,
                          core_.counters.h2_goaway_other,
                          core_.counters.h2_floods};
    core_.ctx.metrics->publish(core_.index, n, responses_);
}

}  // namespace uringd::server
