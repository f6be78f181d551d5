#include <uringd/server/metrics.hpp>

#include <fmt/format.h>

namespace uringd::server {

namespace {

struct Family {
    const char* name;
    const char* type;
    const char* help;
    const char* label;  // extra label name=value, or "" (the numbers array order)
};

// In WorkerNumbers' field order.
constexpr Family kFamilies[] = {
    {"uringd_connections_accepted_total", "counter", "Connections accepted.", ""},
    {"uringd_connections_refused_total", "counter", "Connections closed at once: the worker was full.", ""},
    {"uringd_connections_open", "gauge", "Connections open now.", ""},
    {"uringd_sent_bytes_total", "counter", "Bytes sent, by how they left.", "path=\"copy\""},
    {"uringd_sent_bytes_total", "counter", "", "path=\"splice\""},
    {"uringd_sent_bytes_total", "counter", "", "path=\"send_zc\""},
    {"uringd_sent_bytes_total", "counter", "", "path=\"sendfile\""},
    {"uringd_tls_handshakes_total", "counter", "TLS handshakes completed.", ""},
    {"uringd_tls_resumed_total", "counter", "TLS handshakes that resumed a session (a ticket opened).", ""},
    {"uringd_tls_handshake_failures_total", "counter", "TLS handshakes that failed.", ""},
    {"uringd_tls_connections_total", "counter", "TLS connections by who encrypts what they send.", "tx=\"user\""},
    {"uringd_tls_connections_total", "counter", "", "tx=\"kernel\""},
    {"uringd_file_cache_hits_total", "counter", "Open-file cache lookups that found a valid entry.", ""},
    {"uringd_file_cache_misses_total", "counter", "Open-file cache lookups that had to open.", ""},
    {"uringd_access_log_dropped_total", "counter", "Access-log lines dropped because the writer fell behind.", ""},
    {"uringd_connections_timed_out_total", "counter", "Connections closed by a timeout, by which.",
     "timer=\"handshake\""},
    {"uringd_connections_timed_out_total", "counter", "", "timer=\"header\""},
    {"uringd_connections_timed_out_total", "counter", "", "timer=\"keepalive\""},
    {"uringd_connections_timed_out_total", "counter", "", "timer=\"send\""},
    {"uringd_send_spills_total", "counter",
     "Sends the socket took only in part: the rest left the registered buffer for the connection's own memory.", ""},
    {"uringd_proxy_headers_total", "counter", "PROXY protocol headers: taken, or why the connection was closed.",
     "result=\"ok\""},
    {"uringd_proxy_headers_total", "counter", "", "result=\"untrusted\""},
    {"uringd_proxy_headers_total", "counter", "", "result=\"invalid\""},
    {"uringd_proxy_headers_total", "counter", "", "result=\"timeout\""},
    {"uringd_http2_connections_total", "counter", "Connections that spoke HTTP/2.", ""},
    {"uringd_http2_streams_total", "counter", "HTTP/2 requests (streams) answered or refused.", ""},
    {"uringd_http2_goaway_total", "counter", "GOAWAY frames sent, by error code.", "error=\"no_error\""},
    {"uringd_http2_goaway_total", "counter", "", "error=\"protocol_error\""},
    {"uringd_http2_goaway_total", "counter", "", "error=\"enhance_your_calm\""},
    {"uringd_http2_goaway_total", "counter", "", "error=\"other\""},
    {"uringd_http2_floods_total", "counter",
     "HTTP/2 connections closed for a flood: control frames faster than they are read, or endless headers.", ""},
};
static_assert(std::size(kFamilies) == std::tuple_size_v<decltype(WorkerStats::numbers)>);

}  // namespace

std::size_t status_index(http::Status s) {
    for (std::size_t i = 0; i + 2 < kCountedStatuses.size(); ++i)
        if (kCountedStatuses[i] == http::code(s)) return i;
    return kCountedStatuses.size() - 1;
}

Metrics::Metrics(std::size_t workers, std::vector<std::string> site_names) : site_names_(std::move(site_names)) {
    for (auto& name : site_names_) {  // label values: escape \\ and "
        std::string escaped;
        for (const char ch : name) {
            if (ch == '\\' || ch == '"') escaped += '\\';
            escaped += ch;
        }
        name = std::move(escaped);
    }
    for (std::size_t i = 0; i < workers; ++i) workers_.push_back(std::make_unique<WorkerStats>(site_names_.size()));
}

void Metrics::publish(std::size_t w, const WorkerNumbers& n, const std::vector<uint64_t>& responses) {
    WorkerStats& s = *workers_[w];
    const uint64_t values[] = {n.accepted,
                               n.refused,
                               n.open,
                               n.bytes_copy,
                               n.bytes_splice,
                               n.bytes_zc,
                               n.bytes_sendfile,
                               n.tls_handshakes,
                               n.tls_resumed,
                               n.tls_failures,
                               n.tls_userspace,
                               n.tls_ktls,
                               n.cache_hits,
                               n.cache_misses,
                               n.log_dropped,
                               n.timed_out_handshake,
                               n.timed_out_header,
                               n.timed_out_keepalive,
                               n.timed_out_send,
                               n.send_spills,
                               n.proxy_ok,
                               n.proxy_untrusted,
                               n.proxy_invalid,
                               n.proxy_timed_out,
                               n.h2_connections,
                               n.h2_streams,
                               n.h2_goaway_no_error,
                               n.h2_goaway_protocol,
                               n.h2_goaway_calm,
                               n.h2_goaway_other,
                               n.h2_floods};
    for (std::size_t i = 0; i < s.numbers.size(); ++i) s.numbers[i].set(values[i]);
    for (std::size_t i = 0; i < s.responses.size() && i < responses.size(); ++i) s.responses[i].set(responses[i]);
}

std::string Metrics::render() const {
    std::string out;
    auto emit = [&](const char* name, std::string_view labels, uint64_t v) {
        out += fmt::format("{}{{{}}} {}\n", name, labels, v);
    };
    out +=
        "# HELP uringd_requests_total Responses sent, by site and status code.\n"
        "# TYPE uringd_requests_total counter\n";
    for (std::size_t w = 0; w < workers_.size(); ++w)
        for (std::size_t site = 0; site < site_names_.size(); ++site)
            for (std::size_t k = 0; k < kCountedStatuses.size(); ++k) {
                const uint64_t v = workers_[w]->responses[site * kCountedStatuses.size() + k].get();
                if (v == 0) continue;
                const std::string code = kCountedStatuses[k] ? std::to_string(kCountedStatuses[k]) : "other";
                emit("uringd_requests_total",
                     fmt::format("worker=\"{}\",site=\"{}\",code=\"{}\"", w, site_names_[site], code), v);
            }
    for (std::size_t f = 0; f < std::size(kFamilies); ++f) {
        const Family& fam = kFamilies[f];
        if (*fam.help) out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", fam.name, fam.help, fam.name, fam.type);
        for (std::size_t w = 0; w < workers_.size(); ++w) {
            const std::string labels =
                *fam.label ? fmt::format("worker=\"{}\",{}", w, fam.label) : fmt::format("worker=\"{}\"", w);
            emit(fam.name, labels, workers_[w]->numbers[f].get());
        }
    }
    return out;
}

}  // namespace uringd::server
