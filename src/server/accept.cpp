// Accepting: one multishot accept per listener, paused while the slab is full (the
// kernel's queue holds the rest), and the queues taken whole at a drain.
#include <uringd/net/listener.hpp>
#include <uringd/server/worker.hpp>

#include <fcntl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace uringd::server {

using ring::Op;

namespace {
constexpr std::size_t kMaxHeldAccepts = 64;
}  // namespace

void Worker::submit_accept(uint32_t listener) {
    io_uring_sqe* sqe = core_.ring.sqe();
    io_uring_prep_multishot_accept(sqe, listeners_[listener].get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    io_uring_sqe_set_data64(sqe, ring::encode({listener, 0, Op::Accept}));
    accept_armed_[listener] = true;
}

void Worker::on_accept(uint32_t listener, int res, uint32_t flags) {
    if (!(flags & IORING_CQE_F_MORE)) accept_armed_[listener] = false;
    if (core_.draining) return on_accept_draining(listener, res);
    if (res < 0) {
        if (res != -ECANCELED && accept_errors_.allow(core_.now_ms))
            spdlog::warn("worker {}: accept: {} (pausing accepts {} ms; {} similar suppressed)", core_.index,
                         std::strerror(-res), kTickMs, accept_errors_.suppressed());
        // EMFILE and friends: retry on a later tick instead of spinning.
        accept_retry_ms_ = core_.now_ms + kTickMs;
        return;
    }
    start_or_hold(UniqueFd(res), listener);
    if (core_.live >= core_.conf.limits.max_connections) pause_accepting();
    else if (!accept_armed_[listener] && !accept_paused_) submit_accept(listener);
}

// With the slab full (an accept that was on its way when the pause began, or one
// taken at a drain), the connection waits for a slot (finish_close_if_done).
void Worker::start_or_hold(UniqueFd fd, uint32_t listener) {
    if (core_.live < core_.conf.limits.max_connections) return start_connection(std::move(fd), listener);
    if (held_accepts_.size() < kMaxHeldAccepts) held_accepts_.push_back({std::move(fd), listener});
    else ++core_.counters.refused;
}

void Worker::start_connection(UniqueFd fd, uint32_t listener) {
    const bool proxied = listener < core_.conf.listen.size() && core_.conf.listen[listener].proxy_protocol;
    sockaddr_storage peer{};  // asked once, for the proxy check and the access log
    if (proxied || core_.ctx.access_log) {
        socklen_t len = sizeof peer;
        if (::getpeername(fd.get(), reinterpret_cast<sockaddr*>(&peer), &len) < 0) peer.ss_family = AF_UNSPEC;
    }
    if (proxied && !trusts_proxy(peer, listener)) return;  // closed by fd's destructor
    Connection& c = *allocate_slot();
    ++core_.counters.accepted;
    net::tune_accepted(fd.get());
    c.fd = std::move(fd);
    c.listener = listener;
    if (core_.ctx.access_log) remember_peer(c, peer);
    if (proxied) {
        c.state = ConnState::ProxyHeader;
        core_.set_timer(c, Timer::Proxy);
    } else {
        transport_.begin_session(c);
    }
    transport_.submit_recv(c);
}

// The slab is full: stop taking connections (backpressure) until one closes.
void Worker::pause_accepting() {
    if (accept_paused_) return;
    accept_paused_ = true;
    for (uint32_t i = 0; i < listeners_.size(); ++i) {
        if (!accept_armed_[i]) continue;
        io_uring_sqe* sqe = core_.ring.sqe();
        io_uring_prep_cancel64(sqe, ring::encode({i, 0, Op::Accept}), 0);
        io_uring_sqe_set_data64(sqe, ring::encode({0, 0, Op::Cancel}));
    }
}

void Worker::resume_accepting() {
    accept_paused_ = false;
    for (uint32_t i = 0; i < listeners_.size(); ++i)
        if (!accept_armed_[i] && listeners_[i]) submit_accept(i);
}

// A connection accepted just before the drain is served (one request), never reset.
// The listener is let go only once its multishot accept has ended (the drain
// cancelled it): see retire_listener.
void Worker::on_accept_draining(uint32_t listener, int res) {
    if (res >= 0) start_or_hold(UniqueFd(res), listener);
    if (!accept_armed_[listener]) retire_listener(listener);
}

// Draining, with no accept of this ring on the listener any more: takes what waits
// in its queue, then closes this worker's copy of the socket. In that order because
// an accept is an exclusive waiter: the kernel wakes one ring per connection, and a
// wake that reached this ring's accept just as it was cancelled is not passed on to
// the next generation's. Taken here, such a connection is served; left, it would
// wait for the next connection to wake the new ring (or be reset at the last
// close). Each one gets its request answered with "Connection: close".
void Worker::retire_listener(uint32_t i) {
    if (!listeners_[i]) return;
    // Non-blocking from now on (the flag is the socket's, shared with a next
    // generation's copy; its io_uring accepts do not mind).
    const int fl = ::fcntl(listeners_[i].get(), F_GETFL);
    if (fl >= 0 && ::fcntl(listeners_[i].get(), F_SETFL, fl | O_NONBLOCK) == 0) {
        for (;;) {
            UniqueFd fd(::accept4(listeners_[i].get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
            if (!fd) break;  // EAGAIN: the queue is empty (the listener is non-blocking)
            start_or_hold(std::move(fd), i);
        }
    }
    listeners_[i].reset();
}

bool Worker::listening() const {
    return std::any_of(listeners_.begin(), listeners_.end(), [](const UniqueFd& l) { return bool(l); });
}

}  // namespace uringd::server
