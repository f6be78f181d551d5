#pragma once
// Counters for /metrics. Each worker counts in plain integers on its own hot path
// and publishes them into its WorkerStats every tick (and before it answers a
// scrape); a scrape reads every worker's published values. Publication is a relaxed
// store by the one writer, reading a relaxed load: no locks, no atomic
// read-modify-write, no shared cache line between workers.
#include <uringd/http/status.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace uringd::server {

// Statuses uringd answers with, in a fixed order (index = status_index()).
inline constexpr std::array<uint16_t, 26> kCountedStatuses = {200, 204, 206, 301, 304, 308, 400, 403, 404,
                                                              405, 406, 408, 411, 412, 413, 414, 416, 417,
                                                              421, 431, 500, 501, 503, 505, 0,   0};
std::size_t status_index(http::Status s);  // kCountedStatuses.size() - 1 for an unlisted one

class Published {
public:
    void set(uint64_t v) { v_.store(v, std::memory_order_relaxed); }
    uint64_t get() const { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> v_{0};
};

struct WorkerNumbers {
    uint64_t accepted = 0, refused = 0, open = 0;
    uint64_t bytes_copy = 0, bytes_splice = 0, bytes_zc = 0, bytes_sendfile = 0;
    uint64_t tls_handshakes = 0, tls_resumed = 0, tls_failures = 0, tls_userspace = 0, tls_ktls = 0;
    uint64_t cache_hits = 0, cache_misses = 0;
    uint64_t log_dropped = 0;
    uint64_t timed_out_handshake = 0, timed_out_header = 0, timed_out_keepalive = 0, timed_out_send = 0;
    uint64_t send_spills = 0;
    uint64_t proxy_ok = 0, proxy_untrusted = 0, proxy_invalid = 0, proxy_timed_out = 0;
    uint64_t h2_connections = 0, h2_streams = 0;
    uint64_t h2_goaway_no_error = 0, h2_goaway_protocol = 0, h2_goaway_calm = 0, h2_goaway_other = 0;
    uint64_t h2_floods = 0;
};

struct alignas(64) WorkerStats {
    explicit WorkerStats(std::size_t sites) : responses(sites * kCountedStatuses.size()) {}
    std::array<Published, 31> numbers;  // WorkerNumbers, field by field
    std::vector<Published> responses;   // [site][status_index]
};

class Metrics {
public:
    // `site_names`: one label per [[site]] (its first server name, or "default").
    Metrics(std::size_t workers, std::vector<std::string> site_names);

    std::size_t sites() const { return site_names_.size(); }
    // Called by worker `w` only.
    void publish(std::size_t w, const WorkerNumbers& n, const std::vector<uint64_t>& responses);
    // The Prometheus text exposition (version 0.0.4) of every worker's published values.
    std::string render() const;

private:
    std::vector<std::string> site_names_;
    std::vector<std::unique_ptr<WorkerStats>> workers_;
};

}  // namespace uringd::server
