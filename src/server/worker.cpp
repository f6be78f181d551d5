// The worker loop: reap completions, dispatch on the tag, expire timers, submit once,
// wait. Also accepting, draining and the one way a connection is closed.
#include <uringd/base/clock.hpp>
#include <uringd/base/error.hpp>
#include <uringd/fs/file.hpp>
#include <uringd/net/listener.hpp>
#include <uringd/server/worker.hpp>
#include <uringd/tls/ktls.hpp>

#include <fcntl.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <algorithm>
#include <cassert>
#include <cstring>

namespace uringd::server {

using ring::Op;

namespace {

constexpr int kTickMs = 250;
constexpr int64_t kDrainGraceMs = 1000;  // idle keep-alive connections at a drain
// Lingering close (graceful_close), as nginx's lingering_timeout / lingering_time:
// input is read and dropped until EOF, a pause of kLingerIdleMs, kLingerTotalMs in
// all, or kLingerMaxBytes.
constexpr int64_t kLingerIdleMs = 2000;
constexpr int64_t kLingerTotalMs = 10000;
constexpr uint16_t kRecvGroup = 0;
constexpr std::size_t kMaxHeldAccepts = 64;

ring::RingOptions ring_options(const config::RingConfig& c, const WorkerOptions& o) {
    ring::RingOptions r;
    r.entries = c.entries;
    // sqpoll = auto resolves to off until the benchmarks say otherwise (docs/io_uring.md).
    r.sqpoll = c.sqpoll == config::SqPoll::On;
    r.sqpoll_idle_ms = c.sqpoll_idle_ms;
    r.attach_wq_fd = c.sqpoll_shared ? o.attach_wq_fd : -1;
    r.iowq_max_bounded = c.iowq_max_bounded;
    r.iowq_max_unbounded = c.iowq_max_unbounded;
    r.start_disabled = true;  // registered, restricted and enabled by start()
    return r;
}

}  // namespace

const ring::Restrictions& worker_ring_restrictions() {
    static const ring::Restrictions r{
        {IORING_OP_ACCEPT, IORING_OP_RECV, IORING_OP_SEND, IORING_OP_SEND_ZC, IORING_OP_OPENAT2, IORING_OP_STATX,
         IORING_OP_READ, IORING_OP_READ_FIXED, IORING_OP_SPLICE, IORING_OP_POLL_ADD, IORING_OP_ASYNC_CANCEL},
        {IORING_UNREGISTER_PBUF_RING},  // at exit; buffers and personality come before
        IOSQE_IO_LINK | IOSQE_BUFFER_SELECT,
    };
    return r;
}

const char* to_string(ConnState s) {
    switch (s) {
    case ConnState::Free: return "free";
    case ConnState::ProxyHeader: return "proxy-header";
    case ConnState::Handshaking: return "handshaking";
    case ConnState::Idle: return "idle";
    case ConnState::Opening: return "opening";
    case ConnState::Statting: return "statting";
    case ConnState::WaitingBuffer: return "waiting-buffer";
    case ConnState::Reading: return "reading";
    case ConnState::Sending: return "sending";
    case ConnState::Splicing: return "splicing";
    case ConnState::Lingering: return "lingering";
    case ConnState::Closing: return "closing";
    }
    return "?";
}

Worker::Worker(const ServerContext& ctx, const WorkerOptions& opts, std::vector<UniqueFd> listeners)
    : ctx_(ctx),
      conf_(ctx.conf),
      opts_(opts),
      ring_(ring_options(ctx.conf.io_uring, opts)),
      recv_bufs_(ring_, kRecvGroup, ctx.conf.io_uring.recv_buffers, ctx.conf.io_uring.recv_buffer_size),
      fixed_(ring_, ctx.conf.io_uring.fixed_buffers, ctx.conf.io_uring.fixed_buffer_size),
      pipes_(ctx.conf.io_uring.pipe_size, ctx.conf.limits.max_connections),
      cache_({ctx.conf.cache.max_entries, ctx.conf.cache.valid_ms, ctx.conf.cache.small_file_max,
              ctx.conf.cache.body_budget}),
      // Virtual only: pages are touched when a connection first receives bytes.
      input_mem_(std::size_t{ctx.conf.limits.max_connections} * ctx.conf.limits.header_buffer_size),
      how_(fs::root_open_how()) {
    if (conf_.limits.max_connections >= ring::kMaxSlots) fail("limits.max_connections too large");
    free_slots_.reserve(conf_.limits.max_connections);
    slab_.reserve(conf_.limits.max_connections);
    const auto features = ring::probe_features();
    send_zc_ok_ = features.send_zc && conf_.io_uring.send_zc_threshold > 0;
    // A boundary must not occur in the parts; a guessable one lets a file be made to.
    if (::getrandom(&boundary_salt_, sizeof boundary_salt_, 0) != sizeof boundary_salt_)
        boundary_salt_ = static_cast<uint64_t>(clock::monotonic_ms()) * 0x9e3779b97f4a7c15ull;
    const std::size_t want = conf_.listen.size() + (conf_.admin.enabled ? 1 : 0);
    if (listeners.size() != want)
        fail("worker {}: {} listeners for {} addresses", opts.index, listeners.size(), want);
    listeners_ = std::move(listeners);
    for (const auto& l : conf_.listen) listener_tls_.push_back(l.tls);
    if (conf_.admin.enabled) listener_tls_.push_back(false);
    accept_armed_.assign(listeners_.size(), false);
    responses_.assign(ctx_.sites.size() * kCountedStatuses.size(), 0);
}

void Worker::start() {
    if (ring_.sqpoll()) {
        const int id = ring_.register_personality();
        if (id < 0) fail("worker {}: io_uring_register_personality: {}", opts_.index, std::strerror(-id));
        personality_ = static_cast<uint16_t>(id);
    }
    ring_.enable(&worker_ring_restrictions());
    now_ms_ = clock::monotonic_ms();
    for (uint32_t i = 0; i < listeners_.size(); ++i) arm_accept(i);
    arm_wake();
    ring_.submit();
}

Worker::~Worker() = default;

uint64_t Worker::tag(const Connection& c, Op op, uint16_t aux) const {
    return ring::encode({c.slot, c.gen, op, aux});
}

void Worker::run() {
    while (!(draining_ && live_ == 0)) {
        if (const int r = ring_.submit_and_wait(kTickMs); r < 0 && r != -EBUSY)
            spdlog::error("worker {}: io_uring_enter: {}", opts_.index, std::strerror(-r));
        ring_.drain([this](const io_uring_cqe& cqe) { dispatch(cqe); });
        const int64_t now = clock::monotonic_ms();
        if (now - now_ms_ >= kTickMs) expire_timers(now);
        resume_buffer_waiters();
    }
    spdlog::debug("worker {}: stopped; {} accepted, {} requests, {} stale completions, cache {} hits {} misses",
                  opts_.index, counters_.accepted, counters_.requests, counters_.stale_cqes, cache_.hits(),
                  cache_.misses());
}

void Worker::dispatch(const io_uring_cqe& cqe) {
    const ring::Tag t = ring::decode(cqe.user_data);
    switch (t.op) {
    case Op::Accept: return on_accept(t.slot, cqe.res, cqe.flags);
    case Op::Wake: return on_wake(cqe.res);
    case Op::Cancel: return;
    default: break;
    }
    if (t.slot >= slab_.size()) return;
    Connection& c = *slab_[t.slot];
    if (t.op == Op::SendZc && (cqe.flags & IORING_CQE_F_NOTIF)) {
        fixed_.kernel_release(t.aux);  // the kernel is done with the buffer's pages
    }
    if (c.gen != t.gen || c.state == ConnState::Free) {
        ++counters_.stale_cqes;
        return;
    }
    // Each submitted operation has exactly one CQE without F_MORE (multishot recv
    // ends with one; SEND_ZC's notification is its last).
    if (!(cqe.flags & IORING_CQE_F_MORE)) {
        assert(c.inflight > 0);
        --c.inflight;
    }
    dispatch_connection(c, t, cqe);
    finish_close_if_done(c);
}

void Worker::dispatch_connection(Connection& c, const ring::Tag& t, const io_uring_cqe& cqe) {
    switch (t.op) {
    case Op::Recv: return on_recv(c, cqe.res, cqe.flags);
    case Op::Send:
    case Op::SendZc: return on_send(c, cqe.res, cqe.flags, t);
    case Op::ReadFixed: return on_read_fixed(c, cqe.res);
    case Op::Open: return on_open(c, cqe.res);
    case Op::Statx: return on_statx(c, cqe.res);
    case Op::SpliceIn:
    case Op::SpliceOut: return on_splice(c, t.op, cqe.res);
    case Op::SendMapped: return on_mapped_send(c, cqe.res);
    case Op::Writable: return on_writable(c, cqe.res);
    default: return;
    }
}

void Worker::arm_accept(uint32_t listener) {
    io_uring_sqe* sqe = ring_.sqe();
    io_uring_prep_multishot_accept(sqe, listeners_[listener].get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    io_uring_sqe_set_data64(sqe, ring::encode({listener, 0, Op::Accept}));
    accept_armed_[listener] = true;
}

void Worker::on_accept(uint32_t listener, int res, uint32_t flags) {
    if (!(flags & IORING_CQE_F_MORE)) accept_armed_[listener] = false;
    if (res < 0) {
        if (res != -ECANCELED && accept_errors_.allow(now_ms_))
            spdlog::warn("worker {}: accept: {} (pausing accepts {} ms; {} similar suppressed)",
                         opts_.index, std::strerror(-res), kTickMs, accept_errors_.suppressed());
        // EMFILE and friends: retry on a later tick instead of spinning.
        accept_retry_ms_ = now_ms_ + kTickMs;
        return;
    }
    UniqueFd fd(res);
    if (draining_) {  // accepted just before the drain: serve it (one request), never reset it
        if (live_ < conf_.limits.max_connections) start_connection(std::move(fd), listener);
        return;
    }
    if (live_ >= conf_.limits.max_connections) {
        // Accepted while the pause was on its way: hold it until a slot frees.
        if (held_accepts_.size() < kMaxHeldAccepts) held_accepts_.push_back({std::move(fd), listener});
        else ++counters_.refused;
        return pause_accepting();
    }
    start_connection(std::move(fd), listener);
    if (live_ >= conf_.limits.max_connections) pause_accepting();
    else if (!accept_armed_[listener] && !accept_paused_) arm_accept(listener);
}

void Worker::start_connection(UniqueFd fd, uint32_t listener) {
    const bool proxied = listener < conf_.listen.size() && conf_.listen[listener].proxy_protocol;
    sockaddr_storage peer{};  // asked once, for the proxy check and the access log
    if (proxied || ctx_.access_log) {
        socklen_t len = sizeof peer;
        if (::getpeername(fd.get(), reinterpret_cast<sockaddr*>(&peer), &len) < 0) peer.ss_family = AF_UNSPEC;
    }
    if (proxied && !trusts_proxy(peer, listener)) return;  // closed by fd's destructor
    Connection& c = *allocate_slot();
    ++counters_.accepted;
    net::tune_accepted(fd.get());
    c.fd = std::move(fd);
    c.listener = listener;
    if (ctx_.access_log) remember_peer(c, peer);
    if (proxied) {
        c.state = ConnState::ProxyHeader;
        set_timer(c, Timer::Proxy);
    } else {
        begin_session(c);
    }
    arm_recv(c);
}

// TLS or HTTP starts: at accept, or after the PROXY header.
void Worker::begin_session(Connection& c) {
    if (listener_tls_[c.listener]) {
        c.tls_set = ctx_.tls->current();
        c.tls = std::make_unique<tls::Session>(c.tls_set->default_context());
        if (ctx_.ktls) c.tls->enable_ktls(c.fd.get(), tls::ktls::socket_hooks());
        c.state = ConnState::Handshaking;
        set_timer(c, Timer::Handshake);
    } else {
        c.state = ConnState::Idle;
        set_timer(c, Timer::Header);
    }
}

// The slab is full: stop taking connections (backpressure) until one closes.
void Worker::pause_accepting() {
    if (accept_paused_) return;
    accept_paused_ = true;
    for (uint32_t i = 0; i < listeners_.size(); ++i) {
        if (!accept_armed_[i]) continue;
        io_uring_sqe* sqe = ring_.sqe();
        io_uring_prep_cancel64(sqe, ring::encode({i, 0, Op::Accept}), 0);
        io_uring_sqe_set_data64(sqe, ring::encode({0, 0, Op::Cancel}));
    }
}

void Worker::resume_accepting() {
    accept_paused_ = false;
    for (uint32_t i = 0; i < listeners_.size(); ++i)
        if (!accept_armed_[i] && listeners_[i]) arm_accept(i);
}

void Worker::arm_wake() {
    io_uring_sqe* sqe = ring_.sqe();
    io_uring_prep_read(sqe, opts_.wake_fd, &wake_value_, sizeof wake_value_, 0);
    io_uring_sqe_set_data64(sqe, ring::encode({0, 0, Op::Wake}));
}

void Worker::on_wake(int res) {
    if (res == sizeof wake_value_) start_drain();
}

// SIGTERM or a reload: no new connections. A response under way finishes as its
// head promised; an idle connection gets one more request (answered with
// "Connection: close") or a short grace, so a client that sent a request just now
// is answered, not reset.
void Worker::start_drain() {
    if (draining_) return;
    draining_ = true;
    drain_deadline_ = now_ms_ + conf_.limits.drain_timeout_ms;
    take_accept_queues();
    for (auto& l : listeners_) {
        io_uring_sqe* sqe = ring_.sqe();
        io_uring_prep_cancel_fd(sqe, l.get(), IORING_ASYNC_CANCEL_ALL);
        io_uring_sqe_set_data64(sqe, ring::encode({0, 0, Op::Cancel}));
    }
    ring_.submit();  // the cancel must reach the kernel before the fds close
    for (auto& l : listeners_) l.reset();
    held_accepts_.clear();
    for (auto& cp : slab_) {
        Connection& c = *cp;
        // A response already on its way promised keep-alive: it stands, and the
        // connection gets the grace below once it is idle (set_timer).
        if (c.state == ConnState::Idle && c.timer == Timer::KeepAlive) set_timer(c, Timer::KeepAlive);
    }
}

// Connections the kernel completed but nobody accepted yet would be reset when the
// listener closes: behind a balancer that is a request lost. Each gets its one
// request answered instead (with "Connection: close").
void Worker::take_accept_queues() {
    for (uint32_t i = 0; i < listeners_.size(); ++i) {
        if (!listeners_[i]) continue;
        // Non-blocking from now on (the flag is the socket's, shared with a next
        // generation's copy; its io_uring accepts do not mind).
        const int fl = ::fcntl(listeners_[i].get(), F_GETFL);
        if (fl < 0 || ::fcntl(listeners_[i].get(), F_SETFL, fl | O_NONBLOCK) < 0) continue;
        for (;;) {
            UniqueFd fd(::accept4(listeners_[i].get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
            if (!fd) break;  // EAGAIN: the queue is empty (the listener is non-blocking)
            if (live_ >= conf_.limits.max_connections) continue;  // closed: no room
            start_connection(std::move(fd), i);
        }
    }
}

void Worker::set_timer(Connection& c, Timer t) {
    c.timer = t;
    switch (t) {
    case Timer::None: c.deadline_ms = 0; return;
    case Timer::Proxy:
    case Timer::Header: c.deadline_ms = now_ms_ + conf_.limits.header_timeout_ms; return;
    case Timer::Handshake: c.deadline_ms = now_ms_ + conf_.tls.handshake_timeout_ms; return;
    case Timer::KeepAlive:
        c.deadline_ms = now_ms_ + (draining_ ? std::min<int64_t>(kDrainGraceMs, conf_.limits.keepalive_timeout_ms)
                                             : conf_.limits.keepalive_timeout_ms);
        return;
    case Timer::Send: c.deadline_ms = now_ms_ + conf_.limits.send_timeout_ms; return;
    case Timer::Linger: c.deadline_ms = std::min(now_ms_ + kLingerIdleMs, c.linger_end_ms); return;
    }
}

void Worker::count_timeout(Timer t) {
    switch (t) {
    case Timer::Proxy: ++counters_.proxy_timed_out; return;
    case Timer::Handshake: ++counters_.timed_out_handshake; return;
    case Timer::Header: ++counters_.timed_out_header; return;
    case Timer::KeepAlive: ++counters_.timed_out_keepalive; return;
    case Timer::Send: ++counters_.timed_out_send; return;
    case Timer::None:
    case Timer::Linger: return;  // a linger ending is the normal way out
    }
}

void Worker::expire_timers(int64_t now) {
    now_ms_ = now;
    const bool drain_over = draining_ && now >= drain_deadline_;
    publish_metrics();
    for (auto& cp : slab_) {
        Connection& c = *cp;
        if (c.state == ConnState::Free || c.state == ConnState::Closing) continue;
        if (drain_over || (c.timer != Timer::None && now >= c.deadline_ms)) {
            spdlog::debug("worker {}: slot {} timed out while {}", opts_.index, c.slot, to_string(c.state));
            if (!drain_over) count_timeout(c.timer);
            begin_close(c, c.timer == Timer::Send || drain_over);
            finish_close_if_done(c);
        }
    }
    if (!draining_ && accept_retry_ms_ && now >= accept_retry_ms_) {
        accept_retry_ms_ = 0;
        if (!accept_paused_) resume_accepting();
    }
}

Connection* Worker::allocate_slot() {
    if (live_ >= conf_.limits.max_connections) return nullptr;
    if (free_slots_.empty()) {
        // Grow the slab up to max_connections; slots are reused, never freed.
        const auto slot = static_cast<uint32_t>(slab_.size());
        http::ParserLimits limits{conf_.limits.max_uri, conf_.limits.max_body};
        slab_.push_back(std::make_unique<Connection>(slot, limits));
        slab_.back()->in = input_mem_.data() + std::size_t{slot} * conf_.limits.header_buffer_size;
        free_slots_.push_back(slot);
    }
    Connection& c = *slab_[free_slots_.back()];
    free_slots_.pop_back();
    ++live_;
    return &c;
}

// The one way out: stop the socket, cancel what is in flight, and free the slot
// once the last completion arrived (finish_close_if_done).
void Worker::begin_close(Connection& c, bool abort) {
    if (c.state == ConnState::Closing || c.state == ConnState::Free) return;
    c.state = ConnState::Closing;
    c.timer = Timer::None;
    if (abort) {
        // Reset instead of FIN: what is still queued for a stalled peer is dropped
        // rather than trickled out for minutes after we gave up on it.
        const linger hard{1, 0};
        ::setsockopt(c.fd.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    }
    // shutdown wakes io-wq threads blocked in a splice to this socket.
    ::shutdown(c.fd.get(), SHUT_RDWR);
    if (c.inflight > 0) {
        io_uring_sqe* sqe = ring_.sqe();
        io_uring_prep_cancel_fd(sqe, c.fd.get(), IORING_ASYNC_CANCEL_ALL);
        io_uring_sqe_set_data64(sqe, ring::encode({0, 0, Op::Cancel}));
    }
}

// Response complete but the connection ends. Unread input (held, or still in the
// socket) would make close() send a reset, and a reset destroys the response in the
// client's receive buffer before it is read: so drop what is held, send FIN, and
// read and discard to EOF for a bounded time (nginx's lingering close).
void Worker::graceful_close(Connection& c) {
    if (c.tls && send_close_notify(c)) return;  // back here when it is on the wire
    if (c.peer_eof) return begin_close(c);
    for (uint8_t i = 0; i < c.held_count; ++i) recv_bufs_.recycle(c.held[i].bid);
    c.held_count = 0;
    ::shutdown(c.fd.get(), SHUT_WR);
    c.state = ConnState::Lingering;
    c.linger_end_ms = now_ms_ + kLingerTotalMs;
    set_timer(c, Timer::Linger);
    if (!c.recv_armed) arm_recv(c);
}

void Worker::finish_close_if_done(Connection& c) {
    if (c.state != ConnState::Closing || c.inflight > 0) return;
    release_body(c);
    for (uint8_t i = 0; i < c.held_count; ++i) recv_bufs_.recycle(c.held[i].bid);
    c.held_count = 0;
    c.fd.reset();
    c.in_len = c.in_parsed = 0;
    c.parser.reset();
    c.recv_armed = c.peer_eof = false;
    c.tls.reset();
    c.tls_set.reset();  // after the session: its SSL_CTX belongs to the set
    c.sending_handshake = c.close_notify_sent = c.input_failed = c.input_cut = false;
    c.spill = {};
    c.spilled = false;
    c.discarded = 0;
    c.keep_alive = true;
    c.pending = Pending::None;
    c.state = ConnState::Free;
    ++c.gen;
    free_slots_.push_back(c.slot);
    --live_;
    if (!held_accepts_.empty() && !draining_) {
        HeldAccept h = std::move(held_accepts_.front());
        held_accepts_.pop_front();
        start_connection(std::move(h.fd), h.listener);
        return;
    }
    if (accept_paused_ && !draining_) resume_accepting();
}

}  // namespace uringd::server
