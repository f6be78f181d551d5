#include <uringd/server/core.hpp>

#include <sys/socket.h>

#include <algorithm>

namespace uringd::server {

using ring::Op;

io_uring_sqe* WorkerCore::submit(Connection& c, Op op, uint16_t aux) {
    io_uring_sqe* sqe = ring.sqe();
    io_uring_sqe_set_data64(sqe, ring::encode({c.slot, c.gen, op, aux}));
    ++c.inflight;
    return sqe;
}

io_uring_sqe* WorkerCore::submit_untracked() {
    io_uring_sqe* sqe = ring.sqe();
    io_uring_sqe_set_data64(sqe, ring::encode({0, 0, Op::Cancel}));
    return sqe;
}

void WorkerCore::set_timer(Connection& c, Timer t) {
    c.timer = t;
    switch (t) {
    case Timer::None: c.deadline_ms = 0; return;
    case Timer::Proxy:
    case Timer::Header: c.deadline_ms = now_ms + conf.limits.header_timeout_ms; return;
    case Timer::Handshake: c.deadline_ms = now_ms + conf.tls.handshake_timeout_ms; return;
    case Timer::KeepAlive:
        c.deadline_ms = now_ms + (draining ? std::min<int64_t>(kDrainGraceMs, conf.limits.keepalive_timeout_ms)
                                           : conf.limits.keepalive_timeout_ms);
        return;
    case Timer::Send: c.deadline_ms = now_ms + conf.limits.send_timeout_ms; return;
    case Timer::Linger: c.deadline_ms = std::min(now_ms + kLingerIdleMs, c.linger_end_ms); return;
    }
}

bool WorkerCore::take_buffer(Connection& c, Pending what) {
    if (auto lease = fixed.acquire()) {
        c.buf = std::move(*lease);
        return true;
    }
    c.pending = what;
    c.state = ConnState::WaitingBuffer;
    c.timer = Timer::None;
    if (!c.in_wait_list) {
        c.in_wait_list = true;
        buffer_waiters.push_back(c.slot);
    }
    return false;
}

void WorkerCore::begin_close(Connection& c, bool abort) {
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
    if (c.inflight > 0) io_uring_prep_cancel_fd(submit_untracked(), c.fd.get(), IORING_ASYNC_CANCEL_ALL);
}

}  // namespace uringd::server
