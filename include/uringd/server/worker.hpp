#pragma once
// A worker: one thread's whole world — its ring, listeners, connection slab, pools
// and caches — and its loop: reap completions, dispatch each to the unit that
// submitted it, expire timers, accept, drain. What a connection goes through lives
// in the units it owns (transport, HTTP/1 session, responder, body sender). Nothing
// here is touched by another thread except through the wake eventfd.
#include <uringd/base/log.hpp>
#include <uringd/base/mapping.hpp>
#include <uringd/base/unique_fd.hpp>
#include <uringd/ring/buffers.hpp>
#include <uringd/ring/ring.hpp>
#include <uringd/ring/tag.hpp>
#include <uringd/server/body_sender.hpp>
#include <uringd/server/connection.hpp>
#include <uringd/server/context.hpp>
#include <uringd/server/core.hpp>
#include <uringd/server/http1_session.hpp>
#include <uringd/server/http2_session.hpp>
#include <uringd/server/responder.hpp>
#include <uringd/server/telemetry.hpp>
#include <uringd/server/transport.hpp>

#include <sys/socket.h>

#include <deque>
#include <memory>
#include <vector>

namespace uringd::server {

struct WorkerOptions {
    unsigned index = 0;
    int cpu = -1;           // pinned CPU (SO_INCOMING_CPU), -1 when unpinned
    int attach_wq_fd = -1;  // share this ring's SQPOLL thread
    int wake_fd = -1;       // eventfd written by the main thread to ask for a drain
};

// All a worker's ring may do once serving: the opcodes, SQE flags and register
// operations below, so a bug cannot turn it into a general syscall gateway.
const ring::Restrictions& worker_ring_restrictions();

class Worker {
public:
    // Builds the ring, buffers and listeners. Must run on the worker's own thread
    // (the ring is single-issuer). Throws uringd::Error. SIGPIPE must be ignored
    // (daemon/signals.cpp does): sendfile(2) has no MSG_NOSIGNAL.
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
    const WorkerCounters& counters() const { return core_.counters; }

private:
    void dispatch(const io_uring_cqe& cqe);
    void dispatch_connection(Connection& c, const ring::Tag& t, const io_uring_cqe& cqe);
    void submit_accept(uint32_t listener);
    void on_accept(uint32_t listener, int res, uint32_t flags);
    void start_connection(UniqueFd fd, uint32_t listener);
    void start_or_hold(UniqueFd fd, uint32_t listener);
    bool trusts_proxy(const sockaddr_storage& peer, uint32_t listener);
    void on_accept_draining(uint32_t listener, int res);
    void retire_listener(uint32_t listener);
    bool listening() const;
    void pause_accepting();
    void resume_accepting();
    void submit_wake();
    void on_wake(int res);
    void submit_watch();
    void on_watch(int res, uint32_t flags);
    void start_drain();
    void expire_timers(int64_t now);
    void count_timeout(Timer t);
    Connection* allocate_slot();
    void finish_close_if_done(Connection& c);
    void resume_buffer_waiters();

    // Declared in the order they depend on each other: the slab (whose connections
    // hold leases on the pools, the cache and the ring) is destroyed first.
    WorkerOptions opts_;
    ring::Ring ring_;
    ring::FixedBufferPool fixed_;
    WorkerCore core_;
    const config::Config& conf_;
    fs::ChangeWatch watch_;
    fs::FileCache cache_;
    Transport transport_;
    BodySender body_;
    Telemetry telemetry_;
    Responder responder_;
    Http2Session h2_;
    Http1Session session_;
    Mapping input_mem_;
    std::vector<std::unique_ptr<Connection>> slab_;
    std::vector<uint32_t> free_slots_;
    std::vector<UniqueFd> listeners_;
    std::vector<bool> accept_armed_;
    bool accept_paused_ = false;
    struct HeldAccept {
        UniqueFd fd;
        uint32_t listener;
    };
    std::deque<HeldAccept> held_accepts_;  // accepted while full; started as slots free
    int64_t accept_retry_ms_ = 0;
    uint64_t wake_value_ = 0;
    int64_t drain_deadline_ = 0;
    log::RateLimit accept_errors_{5000};
};

}  // namespace uringd::server
