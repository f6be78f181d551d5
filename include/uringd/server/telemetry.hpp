#pragma once
// What a worker tells about its work: each response counted by site and status for
// /metrics (as its head is written), the worker's numbers published for the admin
// listener, and the access-log line of each finished response.
#include <uringd/fs/file_cache.hpp>
#include <uringd/http/response.hpp>
#include <uringd/server/core.hpp>

#include <span>
#include <string>
#include <vector>

namespace uringd::server {

class Telemetry {
public:
    Telemetry(WorkerCore& core, const fs::FileCache& cache);

    // Counts a response whose head is decided (HTTP/2 frames it elsewhere).
    void note_head(const Connection& c, Exchange& x, const http::ResponseHead& head);
    // Writes the head (counting its status) and returns its length.
    std::size_t put_head(const Connection& c, Exchange& x, const http::ResponseHead& head, std::span<char> out);
    // A status's head and small HTML page (none for HEAD).
    std::size_t put_error(const Connection& c, Exchange& x, const http::ResponseHead& head, std::span<char> out);
    void log_access(const Connection& c, const Exchange& x);
    void publish_metrics();

private:
    void note_response(const Connection& c, Exchange& x, http::Status status, uint64_t body_bytes);

    WorkerCore& core_;
    const fs::FileCache& cache_;
    std::vector<uint64_t> responses_;  // [site][status_index]: published to ctx.metrics
    std::string log_line_;             // scratch for one access-log line
};

}  // namespace uringd::server
