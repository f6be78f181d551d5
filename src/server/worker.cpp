// The worker loop: reap completions, dispatch each to the unit that submitted it,
// expire timers, submit once, wait. Also draining, the slab, and freeing a slot.
#include <uringd/base/clock.hpp>
#include <uringd/base/error.hpp>
#include <uringd/fs/file.hpp>
#include <uringd/net/listener.hpp>
#include <uringd/server/worker.hpp>
#include <uringd/tls/ktls.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <algorithm>
#include <cassert>
#include <cstring>

namespace uringd::server {

using ring::Op;

namespace {

constexpr uint32_t kMaxBatch = 64;  // completions one batched wait asks for at most

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
    r.batch_wait_us = c.batch_wait_us;
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
    : opts_(opts),
      ring_(ring_options(ctx.conf.io_uring, opts)),
      fixed_(ring_, ctx.conf.io_uring.fixed_buffers, ctx.conf.io_uring.fixed_buffer_size),
      core_(ctx, opts.index, ring_, fixed_),
      conf_(ctx.conf),
      watch_(ctx.conf.cache.valid_ms > 0),  // no cache, nothing to watch
      cache_({ctx.conf.cache.max_entries, ctx.conf.cache.valid_ms, ctx.conf.cache.small_file_max,
              ctx.conf.cache.body_budget}),
      transport_(core_),
      body_(core_, transport_, cache_),
      telemetry_(core_, cache_),
      responder_(core_, transport_, body_, telemetry_, cache_),
      h2_(core_, transport_, responder_, telemetry_),
      session_(core_, transport_, body_, responder_, telemetry_, h2_),
      // Virtual only: pages are touched when a connection first receives bytes.
      input_mem_(std::size_t{ctx.conf.limits.max_connections} * ctx.conf.limits.header_buffer_size) {
    if (conf_.limits.max_connections >= ring::kMaxSlots) fail("limits.max_connections too large");
    free_slots_.reserve(conf_.limits.max_connections);
    slab_.reserve(conf_.limits.max_connections);
    const std::size_t want = conf_.listen.size() + (conf_.admin.enabled ? 1 : 0);
    if (listeners.size() != want) fail("worker {}: {} listeners for {} addresses", opts.index, listeners.size(), want);
    listeners_ = std::move(listeners);
    accept_armed_.assign(listeners_.size(), false);
    if (watch_.fd() >= 0)
        cache_.on_insert([this](std::string_view key) { responder_.watch_directory_of(watch_, key); });
    else if (watch_.error() != 0)  // fs.inotify.max_user_instances, most likely
        spdlog::warn("worker {}: no inotify instance ({}): cached files are checked again only every {} ms", opts.index,
                     std::strerror(watch_.error()), conf_.cache.valid_ms);
}

void Worker::start() {
    if (core_.ring.sqpoll()) {
        const int id = core_.ring.register_personality();
        if (id < 0) fail("worker {}: io_uring_register_personality: {}", core_.index, std::strerror(-id));
        responder_.set_personality(static_cast<uint16_t>(id));
    }
    core_.ring.enable(&worker_ring_restrictions());
    core_.now_ms = clock::monotonic_ms();
    for (uint32_t i = 0; i < listeners_.size(); ++i) submit_accept(i);
    submit_wake();
    submit_watch();
    core_.ring.submit();
}

Worker::~Worker() = default;

void Worker::run() {
    while (!(core_.draining && core_.live == 0 && !listening())) {
        // With batch_wait_us (off by default): as many completions as connections are
        // open, or that long, whichever comes first.
        if (const int r = core_.ring.submit_and_wait(kTickMs, std::clamp(core_.live, 1u, kMaxBatch));
            r < 0 && r != -EBUSY)
            spdlog::error("worker {}: io_uring_enter: {}", core_.index, std::strerror(-r));
        core_.ring.drain([this](const io_uring_cqe& cqe) { dispatch(cqe); });
        const int64_t now = clock::monotonic_ms();
        if (now - core_.now_ms >= kTickMs) expire_timers(now);
        resume_buffer_waiters();
    }
    spdlog::debug("worker {}: stopped; {} accepted, {} requests, {} stale completions, cache {} hits {} misses",
                  core_.index, core_.counters.accepted, core_.counters.requests, core_.counters.stale_cqes,
                  cache_.hits(), cache_.misses());
}

void Worker::dispatch(const io_uring_cqe& cqe) {
    const ring::Tag t = ring::decode(cqe.user_data);
    switch (t.op) {
    case Op::Accept: return on_accept(t.slot, cqe.res, cqe.flags);
    case Op::Wake: return on_wake(cqe.res);
    case Op::Watch: return on_watch(cqe.res, cqe.flags);
    case Op::Cancel: return;
    default: break;
    }
    if (t.slot >= slab_.size()) return;
    Connection& c = *slab_[t.slot];
    if (t.op == Op::SendZc && (cqe.flags & IORING_CQE_F_NOTIF)) {
        core_.fixed.kernel_release(t.aux);  // the kernel is done with the buffer's pages
    }
    if (c.gen != t.gen || c.state == ConnState::Free) {
        ++core_.counters.stale_cqes;
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

// Each completion goes back to the unit that submitted it; what a unit reports as
// finished moves the connection on through the session.
void Worker::dispatch_connection(Connection& c, const ring::Tag& t, const io_uring_cqe& cqe) {
    switch (t.op) {
    case Op::Recv: return c.h2 ? h2_.on_recv(c, cqe.res, cqe.flags) : session_.on_recv(c, cqe.res, cqe.flags);
    case Op::Send:
    case Op::SendZc:
        if (!transport_.on_send(c, cqe.res, cqe.flags, t)) return;
        return c.h2 ? h2_.on_sent(c) : session_.on_sent(c);
    case Op::ReadFixed: return body_.on_read_fixed(c, cqe.res);
    case Op::Open:
    case Op::Statx:
        if (c.h2) return h2_.on_lookup(c, t.aux, t.op, cqe.res);
        return t.op == Op::Open ? responder_.on_open(c, c.ex, cqe.res) : responder_.on_statx(c, c.ex, cqe.res);
    case Op::SpliceIn:
    case Op::SpliceOut:
        if (body_.on_splice(c, t.op, cqe.res)) session_.on_body_sent(c);
        return;
    case Op::SendMapped:
        if (body_.on_mapped_send(c, cqe.res)) session_.on_body_sent(c);
        return;
    case Op::Writable:
        if (body_.on_writable(c, cqe.res)) session_.on_body_sent(c);
        return;
    default: return;
    }
}

void Worker::submit_wake() {
    io_uring_sqe* sqe = core_.ring.sqe();
    io_uring_prep_read(sqe, opts_.wake_fd, &wake_value_, sizeof wake_value_, 0);
    io_uring_sqe_set_data64(sqe, ring::encode({0, 0, Op::Wake}));
}

void Worker::on_wake(int res) {
    if (res == sizeof wake_value_) start_drain();
}

// Files changed on disk: their cache entries are dropped now, not after valid_ms.
void Worker::submit_watch() {
    if (watch_.fd() < 0) return;
    io_uring_sqe* sqe = core_.ring.sqe();
    io_uring_prep_poll_multishot(sqe, watch_.fd(), POLLIN);
    io_uring_sqe_set_data64(sqe, ring::encode({0, 0, Op::Watch}));
}

void Worker::on_watch(int res, uint32_t flags) {
    if (res > 0) responder_.drop_changed(watch_.read_changes());
    if (flags & IORING_CQE_F_MORE) return;
    if (res > 0) return submit_watch();  // the kernel ended the multishot poll: again
    // Refused (or cancelled at exit): entries still expire after valid_ms.
    if (res != -ECANCELED)
        spdlog::warn("worker {}: watching cached files stopped: {}", core_.index, std::strerror(-res));
}

// SIGTERM or a reload: no new connections. A response under way finishes as its
// head promised; an idle connection gets one more request (answered with
// "Connection: close") or a short grace, so a client that sent a request just now
// is answered, not reset.
void Worker::start_drain() {
    if (core_.draining) return;
    core_.draining = true;
    drain_deadline_ = core_.now_ms + core_.conf.limits.drain_timeout_ms;
    for (uint32_t i = 0; i < listeners_.size(); ++i) {
        if (!listeners_[i]) continue;
        if (!accept_armed_[i]) {  // paused, or waiting for a retry: nothing to cancel
            retire_listener(i);
            continue;
        }
        // Its last CQE (on_accept) retires the listener.
        io_uring_sqe* sqe = core_.ring.sqe();
        io_uring_prep_cancel_fd(sqe, listeners_[i].get(), IORING_ASYNC_CANCEL_ALL);
        io_uring_sqe_set_data64(sqe, ring::encode({0, 0, Op::Cancel}));
    }
    core_.ring.submit();
    for (auto& cp : slab_) {
        Connection& c = *cp;
        // A response already on its way promised keep-alive: it stands, and the
        // connection gets the grace below once it is idle (set_timer).
        if (c.h2 && c.state != ConnState::Closing && c.state != ConnState::Free) h2_.shut_down(c);
        else if (c.state == ConnState::Idle && c.timer == Timer::KeepAlive) core_.set_timer(c, Timer::KeepAlive);
    }
}

void Worker::count_timeout(Timer t) {
    switch (t) {
    case Timer::Proxy: ++core_.counters.proxy_timed_out; return;
    case Timer::Handshake: ++core_.counters.timed_out_handshake; return;
    case Timer::Header: ++core_.counters.timed_out_header; return;
    case Timer::KeepAlive: ++core_.counters.timed_out_keepalive; return;
    case Timer::Send: ++core_.counters.timed_out_send; return;
    case Timer::None:
    case Timer::Linger: return;  // a linger ending is the normal way out
    }
}

void Worker::expire_timers(int64_t now) {
    core_.now_ms = now;
    const bool drain_over = core_.draining && now >= drain_deadline_;
    if (drain_over)  // an accept's last CQE is overdue: no longer wait for it
        for (uint32_t i = 0; i < listeners_.size(); ++i) retire_listener(i);
    telemetry_.publish_metrics();
    for (auto& cp : slab_) {
        Connection& c = *cp;
        if (c.state == ConnState::Free || c.state == ConnState::Closing) continue;
        const bool due = c.timer != Timer::None && now >= c.deadline_ms;
        const Timer timer = c.timer;
        if (due && !drain_over && c.h2 && h2_.on_timer(c)) {      // ended with a GOAWAY
            if (timer != Timer::KeepAlive) count_timeout(timer);  // an idle GOAWAY is no timeout
            finish_close_if_done(c);
            continue;
        }
        if (drain_over || due) {
            spdlog::debug("worker {}: slot {} timed out while {}", core_.index, c.slot, to_string(c.state));
            if (!drain_over) count_timeout(c.timer);
            core_.begin_close(c, c.timer == Timer::Send || drain_over);
            finish_close_if_done(c);
        }
    }
    if (!core_.draining && accept_retry_ms_ && now >= accept_retry_ms_) {
        accept_retry_ms_ = 0;
        if (!accept_paused_) resume_accepting();
    }
}

Connection* Worker::allocate_slot() {
    if (core_.live >= core_.conf.limits.max_connections) return nullptr;
    if (free_slots_.empty()) {
        // Grow the slab up to max_connections; slots are reused, never freed.
        const auto slot = static_cast<uint32_t>(slab_.size());
        http::ParserLimits limits{core_.conf.limits.max_uri, core_.conf.limits.max_body};
        slab_.push_back(std::make_unique<Connection>(slot, limits));
        slab_.back()->in = input_mem_.data() + std::size_t{slot} * core_.conf.limits.header_buffer_size;
        free_slots_.push_back(slot);
    }
    Connection& c = *slab_[free_slots_.back()];
    free_slots_.pop_back();
    ++core_.live;
    return &c;
}

void Worker::finish_close_if_done(Connection& c) {
    if (c.state != ConnState::Closing || c.inflight > 0) return;
    Http1Session::release_exchange(c);
    c.h2.reset();
    c.requests = 0;
    transport_.drop_held_input(c);
    c.fd.reset();
    c.in_len = c.in_parsed = 0;
    c.parser.reset();
    c.recv_armed = c.peer_eof = false;
    c.tls.reset();
    c.tls_set.reset();  // after the session: its SSL_CTX belongs to the set
    c.sending_handshake = c.answered_plain_http = c.close_notify_sent = c.input_failed = c.input_cut = false;
    c.spill = {};
    c.spilled = false;
    c.discarded = 0;
    c.keep_alive = true;
    c.pending = Pending::None;
    c.state = ConnState::Free;
    ++c.gen;
    free_slots_.push_back(c.slot);
    --core_.live;
    if (!held_accepts_.empty()) {  // draining too: they were accepted, so they are served
        HeldAccept h = std::move(held_accepts_.front());
        held_accepts_.pop_front();
        start_connection(std::move(h.fd), h.listener);
        return;
    }
    if (accept_paused_ && !core_.draining) resume_accepting();
}

void Worker::resume_buffer_waiters() {
    while (!core_.buffer_waiters.empty() && core_.fixed.available() > 0) {
        Connection& c = *slab_[core_.buffer_waiters.front()];
        core_.buffer_waiters.pop_front();
        c.in_wait_list = false;
        if (c.state != ConnState::WaitingBuffer) continue;  // closed meanwhile
        const Pending p = std::exchange(c.pending, Pending::None);
        if (p == Pending::File) {
            responder_.respond_file(c, c.ex);
        } else if (p == Pending::Part) {
            session_.on_body_sent(c);
        } else if (p == Pending::Chunk) {
            if (body_.continue_body(c)) session_.on_body_sent(c);  // takes the buffer it waited for
        } else if (p == Pending::H2Output) {
            c.state = ConnState::Idle;
            h2_.flush(c);
        } else if (p == Pending::Handshake) {
            c.state = ConnState::Handshaking;
            transport_.take_held_input(c);
            if (c.input_failed) core_.begin_close(c);
        } else {
            responder_.respond_builtin(c, c.ex);
        }
        finish_close_if_done(c);
    }
}

}  // namespace uringd::server
