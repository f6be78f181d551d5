#pragma once
// What the units that drive a connection (transport, session, responder, body
// sender) share inside one worker: its configuration and counters, the clock of the
// current tick, and the primitives each of them needs: an SQE tagged and counted for
// a connection, its timer, a registered buffer (or a place in the queue for one),
// and the one way a connection starts to close. Owned by the Worker; one thread.
#include <uringd/base/log.hpp>
#include <uringd/ring/buffers.hpp>
#include <uringd/ring/ring.hpp>
#include <uringd/ring/tag.hpp>
#include <uringd/server/connection.hpp>
#include <uringd/server/context.hpp>

#include <cstdint>
#include <deque>

namespace uringd::server {

struct WorkerCounters {
    uint64_t accepted = 0, refused = 0, requests = 0, stale_cqes = 0;
    uint64_t bytes_copy = 0, bytes_splice = 0, bytes_zc = 0, bytes_sendfile = 0;
    uint64_t spills = 0;  // sends whose rest left the registered buffer (slow or full sockets)
    uint64_t tls_handshakes = 0, tls_resumed = 0, tls_failures = 0, tls_userspace = 0, tls_ktls = 0;
    // Connections cut by a timer: handshake, header, keep-alive, send.
    uint64_t timed_out_handshake = 0, timed_out_header = 0, timed_out_keepalive = 0, timed_out_send = 0;
    // PROXY protocol headers: taken, and connections closed for one: from a source
    // outside proxy_from, malformed or oversized, or too slow (header_timeout).
    uint64_t proxy_ok = 0, proxy_untrusted = 0, proxy_invalid = 0, proxy_timed_out = 0;
    // HTTP/2: connections, streams, GOAWAYs sent by error code, floods cut.
    uint64_t h2_connections = 0, h2_streams = 0;
    uint64_t h2_goaway_no_error = 0, h2_goaway_protocol = 0, h2_goaway_calm = 0, h2_goaway_other = 0;
    uint64_t h2_floods = 0;
};

// Lingering close (Http1Session::graceful_close), as nginx's lingering_timeout /
// lingering_time: input is read and dropped until EOF, a pause of kLingerIdleMs,
// kLingerTotalMs in all, or kLingerMaxBytes.
inline constexpr int64_t kLingerIdleMs = 2000;
inline constexpr int64_t kLingerTotalMs = 10000;
inline constexpr uint64_t kLingerMaxBytes = uint64_t{16} << 20;
inline constexpr int64_t kDrainGraceMs = 1000;  // idle keep-alive connections at a drain
inline constexpr int kTickMs = 250;             // the loop wakes at least this often: timers, retries

struct WorkerCore {
    WorkerCore(const ServerContext& context, unsigned worker_index, ring::Ring& worker_ring,
               ring::FixedBufferPool& buffers)
        : ctx(context),
          conf(context.conf),
          index(worker_index),
          ring(worker_ring),
          fixed(buffers) {}
    WorkerCore(const WorkerCore&) = delete;
    WorkerCore& operator=(const WorkerCore&) = delete;

    // An SQE for `c`, tagged with its slot, generation and `op` and counted in flight
    // until its last CQE (Worker::dispatch). The caller preps it; prep leaves
    // user_data alone.
    io_uring_sqe* submit(Connection& c, ring::Op op, uint16_t aux = 0);
    // An SQE whose completion nobody waits for (cancellations).
    io_uring_sqe* submit_untracked();
    void set_timer(Connection& c, Timer t);
    // The connection's registered buffer, or false with `c` parked in the queue
    // until one is free (Worker::resume_buffer_waiters resumes `what`).
    bool take_buffer(Connection& c, Pending what);
    // The one way out: stop the socket, cancel what is in flight; the slot is freed
    // once the last completion arrived (Worker::finish_close_if_done).
    // abort: reset (SO_LINGER 0) instead of a FIN after queued data.
    void begin_close(Connection& c, bool abort = false);
    bool is_admin(const Connection& c) const { return c.listener == conf.listen.size(); }

    const ServerContext& ctx;
    const config::Config& conf;
    const unsigned index;
    ring::Ring& ring;
    ring::FixedBufferPool& fixed;
    int64_t now_ms = 0;
    bool draining = false;
    uint32_t live = 0;  // connections in the slab
    WorkerCounters counters;
    std::deque<uint32_t> buffer_waiters;  // slots parked in WaitingBuffer, FIFO
    log::RateLimit resource_errors{5000};
};

}  // namespace uringd::server
