#pragma once
// A worker: one pinned thread's whole world — its ring, listeners, connection slab,
// buffers and pipes. Nothing here is touched by another thread except through the
// wake eventfd (request_drain).
#include <uringd/base/log.hpp>
#include <uringd/base/unique_fd.hpp>
#include <uringd/http/date.hpp>
#include <uringd/ring/buffers.hpp>
#include <uringd/ring/ring.hpp>
#include <uringd/ring/tag.hpp>
#include <uringd/server/connection.hpp>
#include <uringd/server/context.hpp>
#include <uringd/server/pipe_pool.hpp>
#include <uringd/server/route.hpp>

#include <linux/openat2.h>

#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace uringd::server {

struct WorkerCounters {
    uint64_t accepted = 0, refused = 0, requests = 0, stale_cqes = 0;
    uint64_t bytes_copy = 0, bytes_splice = 0, bytes_zc = 0;
    uint64_t spills = 0;  // sends whose rest left the registered buffer (slow or full sockets)
    uint64_t tls_handshakes = 0, tls_failures = 0, tls_userspace = 0, tls_ktls = 0;
    // Connections cut by a timer: handshake, header, keep-alive, send.
    uint64_t timed_out_handshake = 0, timed_out_header = 0, timed_out_keepalive = 0, timed_out_send = 0;
    // PROXY protocol headers: taken, and connections closed for one: from a source
    // outside proxy_from, malformed or oversized, or too slow (header_timeout).
    uint64_t proxy_ok = 0, proxy_untrusted = 0, proxy_invalid = 0, proxy_timed_out = 0;
};

struct WorkerOptions {
    unsigned index = 0;
    int cpu = -1;            // pinned CPU (SO_INCOMING_CPU), -1 when unpinned
    int attach_wq_fd = -1;   // share this ring's SQPOLL thread
    int wake_fd = -1;        // eventfd written by the main thread to ask for a drain
};

// All a worker's ring may do once serving: the opcodes, SQE flags and register
// operations below, so a bug cannot turn it into a general syscall gateway.
const ring::Restrictions& worker_ring_restrictions();

class Worker {
public:
    // Builds the ring, buffers and listeners. Must run on the worker's own thread
    // (the ring is single-issuer). Throws uringd::Error.
    // `listeners`: this worker's sockets, one per conf.listen entry, in that order
    // (bound before privileges were dropped).
    Worker(const ServerContext& ctx, const WorkerOptions& opts, std::vector<UniqueFd> listeners);
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;
    ~Worker();

    // Serves until a drain was requested and every connection has closed.
    // Arms the accepts: the worker serves from here on. Separate from construction so
    // that privileges are dropped after every ring exists and before any request.
    // Also restricts the ring to worker_ring_restrictions() and enables it.
    void start();
    void run();
    int ring_fd() const { return ring_.fd(); }
    const std::string& ring_mode() const { return ring_.mode(); }
    const WorkerCounters& counters() const { return counters_; }

private:
    // worker.cpp: loop, dispatch, accept, timers, drain, slots, closing.
    void dispatch(const io_uring_cqe& cqe);
    void dispatch_connection(Connection& c, const ring::Tag& t, const io_uring_cqe& cqe);
    void arm_accept(uint32_t listener);
    void on_accept(uint32_t listener, int res, uint32_t flags);
    void start_connection(UniqueFd fd, uint32_t listener);
    void take_accept_queues();
    void begin_session(Connection& c);
    bool trusts_proxy(const sockaddr_storage& peer, uint32_t listener);
    uint32_t consume_proxy_header(Connection& c, std::span<const char> data);
    void pause_accepting();
    void resume_accepting();
    void arm_wake();
    void on_wake(int res);
    void start_drain();
    void expire_timers(int64_t now);
    void count_timeout(Timer t);
    void set_timer(Connection& c, Timer t);
    Connection* allocate_slot();
    // abort: reset the connection (SO_LINGER 0) instead of a FIN after queued data.
    void begin_close(Connection& c, bool abort = false);
    void graceful_close(Connection& c);
    void finish_close_if_done(Connection& c);
    uint64_t tag(const Connection& c, ring::Op op, uint16_t aux = 0) const;

    // connection.cpp: receiving and parsing.
    void arm_recv(Connection& c);
    void on_recv(Connection& c, int res, uint32_t flags);
    bool discards_input(const Connection& c) const;
    void on_discarded(Connection& c, uint32_t len);
    bool append_input(Connection& c, uint16_t bid, uint32_t len);
    uint32_t consume_input(Connection& c, std::span<const char> data);
    void take_held_input(Connection& c);
    void process_input(Connection& c);
    void handle_request(Connection& c);

    // admin.cpp: /metrics and /healthz on the admin listener; counting responses and
    // writing their access-log lines.
    bool is_admin(const Connection& c) const { return c.listener == conf_.listen.size(); }
    void serve_admin(Connection& c);
    void publish_metrics();
    void remember_peer(Connection& c, const sockaddr_storage& peer);
    void log_access(const Connection& c);
    // Writes the head (counting its status for /metrics) and returns its length.
    std::size_t put_head(Connection& c, const http::ResponseHead& head, std::span<char> out);
    std::size_t put_error(Connection& c, const http::ResponseHead& head, std::span<char> out);
    void note_response(Connection& c, http::Status status, uint64_t body_bytes);
    void redirect_to_https(Connection& c, const Route& route);
    void compact_input(Connection& c);

    // tls.cpp: handshake on the ring, decryption into the input area, encryption of
    // responses into the registered buffer (the userspace TLS strategy).
    uint32_t consume_tls(Connection& c, std::span<const char> data);
    uint32_t handshake_step(Connection& c, std::span<const char> data);
    void on_handshake_sent(Connection& c);
    void drain_tls_plaintext(Connection& c);
    bool encrypt(Connection& c, uint32_t plain_len, uint32_t& out_len);
    bool send_close_notify(Connection& c);
    std::span<char> plain_area(const Connection& c) const;
    // TLS whose records OpenSSL encrypts (no kernel TLS on this connection).
    static bool userspace_tls(const Connection& c) { return c.tls && !c.tls->ktls_tx(); }

    // response.cpp: from request to a head in a registered buffer.
    std::string_view cache_key(const Connection& c);
    void serve_path(Connection& c);
    void serve_entry(Connection& c, fs::CachedFile* e);
    bool try_sidecars(Connection& c);
    void next_sidecar(Connection& c);
    void on_sidecar(Connection& c, fs::CachedFile* e);
    void skip_sidecar(Connection& c);
    void submit_open(Connection& c);
    void on_open(Connection& c, int res);
    void on_statx(Connection& c, int res);
    void on_directory(Connection& c);
    void open_next_index(Connection& c);
    void serve_listing(Connection& c);
    void respond_file(Connection& c);
    void respond_simple(Connection& c, http::Status status, bool close = false);
    void write_simple(Connection& c, http::ResponseHead head);
    bool serve_error_page(Connection& c, http::Status status);
    void error_page_failed(Connection& c);
    void respond_open_error(Connection& c, int err);
    bool take_buffer(Connection& c, Pending what);
    void resume_buffer_waiters();

    // partial.cpp: 304, 412, 416, 206 and multipart/byteranges.
    http::ResponseHead file_head(const Connection& c, http::Status status);
    std::string_view file_etag(const Connection& c) const;
    bool respond_conditional(Connection& c);
    void respond_single_range(Connection& c, http::ByteRange r);
    void respond_multipart(Connection& c, const http::RangeSet& set);
    void next_part_or_done(Connection& c);

    // body.cpp: how the bytes leave.
    void submit_read_fixed(Connection& c, uint32_t head_len);
    void on_read_fixed(Connection& c, int res);
    void start_send(Connection& c, uint32_t plain_len);
    void send_raw(Connection& c, uint32_t len);
    void submit_send(Connection& c);
    void spill(Connection& c);
    void continue_body(Connection& c);
    void read_tls_chunk(Connection& c);
    void on_send(Connection& c, int res, uint32_t flags, const ring::Tag& t);
    bool start_mapped(Connection& c);
    void submit_mapped_send(Connection& c);
    void on_mapped_send(Connection& c, int res);
    void start_splice(Connection& c);
    void submit_splice_round(Connection& c);
    void on_splice(Connection& c, ring::Op op, int res);
    void wait_writable(Connection& c);
    void on_writable(Connection& c, int res);
    void response_done(Connection& c);
    void release_body(Connection& c);

    const ServerContext& ctx_;
    const config::Config& conf_;
    WorkerOptions opts_;
    ring::Ring ring_;
    ring::ProvidedBuffers recv_bufs_;
    ring::FixedBufferPool fixed_;
    PipePool pipes_;
    fs::FileCache cache_;
    Mapping input_mem_;
    std::vector<std::unique_ptr<Connection>> slab_;
    std::vector<uint32_t> free_slots_;
    uint32_t live_ = 0;
    std::vector<UniqueFd> listeners_;
    std::vector<bool> listener_tls_;
    std::vector<bool> accept_armed_;
    bool accept_paused_ = false;
    struct HeldAccept {
        UniqueFd fd;
        uint32_t listener;
    };
    std::deque<HeldAccept> held_accepts_;  // accepted while full; started as slots free
    int64_t accept_retry_ms_ = 0;
    std::deque<uint32_t> buffer_waiters_;  // slots parked in WaitingBuffer, FIFO
    uint32_t waiting_sends_ = 0;  // registered buffers in sends that may wait on the peer
    open_how how_{};
    uint64_t wake_value_ = 0;
    bool draining_ = false;
    int64_t drain_deadline_ = 0;
    int64_t now_ms_ = 0;
    bool send_zc_ok_ = false;
    // SQPOLL rings issue file opens with the credentials of the ring's creator (root,
    // before the privilege drop): opens carry the worker's own, registered in start().
    uint16_t personality_ = 0;
    http::DateCache date_;
    std::string key_;             // scratch: the cache key of the path being served
    uint64_t boundaries_ = 0;     // multipart boundaries: a counter …
    uint64_t boundary_salt_ = 0;  // … mixed with a per-worker random value
    WorkerCounters counters_;
    std::string log_line_;  // scratch for one access-log line
    std::vector<uint64_t> responses_;  // [site][status_index]: published to ctx_.metrics
    log::RateLimit accept_errors_{5000};
    log::RateLimit resource_errors_{5000};
};

}  // namespace uringd::server
