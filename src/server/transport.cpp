// One connection's bytes: received into the request area (held while it is full),
// the PROXY header, and sends of the registered buffer with their spills. The TLS
// half is in tls.cpp.
#include <uringd/base/address.hpp>
#include <uringd/server/transport.hpp>
#include <uringd/tls/ktls.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace uringd::server {

using ring::Op;

namespace {
constexpr uint16_t kRecvGroup = 0;
}  // namespace

Transport::Transport(WorkerCore& core)
    : core_(core),
      recv_bufs_(core.ring, kRecvGroup, core.conf.io_uring.recv_buffers, core.conf.io_uring.recv_buffer_size),
      send_zc_ok_(ring::probe_features().send_zc && core.conf.io_uring.send_zc_threshold > 0) {}

void Transport::submit_recv(Connection& c) {
    io_uring_sqe* sqe = core_.submit(c, Op::Recv);
    io_uring_prep_recv_multishot(sqe, c.fd.get(), nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = recv_bufs_.group();
    c.recv_armed = true;
}

// Takes a received buffer: as much as fits is consumed (copied, or decrypted on TLS
// connections) and the rest is held, in order, until there is room. False when even
// the hold list is full.
bool Transport::append_input(Connection& c, uint16_t bid, uint32_t len) {
    uint32_t used = 0;
    if (c.held_count == 0) used = consume_input(c, recv_bufs_.data(bid, len));
    if (used == len) {
        recv_bufs_.recycle(bid);
        return true;
    }
    if (c.held_count == c.held.size()) {
        recv_bufs_.recycle(bid);
        return false;
    }
    c.held[c.held_count++] = ring::RecvLease(&recv_bufs_, bid, used, len);
    if (c.held_count == c.held.size() / 2 && c.recv_armed) {
        // Stop the multishot recv; re-armed when the held buffers are consumed.
        io_uring_prep_cancel64(core_.submit_untracked(), ring::encode({c.slot, c.gen, Op::Recv, 0}), 0);
    }
    return true;
}

uint32_t Transport::consume_input(Connection& c, std::span<const char> data) {
    if (c.state == ConnState::ProxyHeader) return consume_proxy_header(c, data);
    if (c.tls) return consume_tls(c, data);
    const auto n =
        static_cast<uint32_t>(std::min<std::size_t>(data.size(), core_.conf.limits.header_buffer_size - c.in_len));
    std::memcpy(c.in + c.in_len, data.data(), n);
    c.in_len += n;
    return n;
}

// Consumes held buffers in order while there is room (after a compaction, a sent
// handshake flight, or a buffer becoming free).
void Transport::take_held_input(Connection& c) {
    if (c.tls) drain_tls_plaintext(c);
    uint8_t done = 0;
    while (done < c.held_count) {
        ring::RecvLease& h = c.held[done];
        if (!h.consume(consume_input(c, h.rest()))) break;
        h.reset();
        ++done;
    }
    if (done == 0) return;
    std::move(c.held.begin() + done, c.held.begin() + c.held_count, c.held.begin());
    c.held_count = static_cast<uint8_t>(c.held_count - done);
}

void Transport::discard(Connection& c, uint16_t bid, uint32_t len) {
    recv_bufs_.recycle(bid);
    c.discarded += len;
    if (c.state == ConnState::Lingering) {
        if (c.discarded > kLingerMaxBytes) return core_.begin_close(c);
        core_.set_timer(c, Timer::Linger);  // the idle bound restarts; the total bound stands
    }
    if (!c.recv_armed && c.state != ConnState::Closing) submit_recv(c);
}

void Transport::linger(Connection& c) {
    drop_held_input(c);
    ::shutdown(c.fd.get(), SHUT_WR);
    c.state = ConnState::Lingering;
    c.linger_end_ms = core_.now_ms + kLingerTotalMs;
    core_.set_timer(c, Timer::Linger);
    if (!c.recv_armed) submit_recv(c);
}

void Transport::drop_held_input(Connection& c) {
    for (uint8_t i = 0; i < c.held_count; ++i) c.held[i].reset();
    c.held_count = 0;
}

// TLS or HTTP starts: at accept, or after the PROXY header.
void Transport::begin_session(Connection& c) {
    if (c.listener < core_.conf.listen.size() && core_.conf.listen[c.listener].tls) {
        c.tls_set = core_.ctx.tls->current();
        c.tls = std::make_unique<tls::Session>(c.tls_set->default_context());
        if (core_.ctx.ktls) c.tls->enable_ktls(c.fd.get(), tls::ktls::socket_hooks());
        if (core_.conf.listen[c.listener].http2) c.tls->offer_h2();
        c.state = ConnState::Handshaking;
        core_.set_timer(c, Timer::Handshake);
    } else {
        c.state = ConnState::Idle;
        core_.set_timer(c, Timer::Header);
    }
}

// Sends plain_area()[0, plain_len): as is, or encrypted first on a TLS connection.
void Transport::start_send(Connection& c, uint32_t plain_len) {
    uint32_t len = plain_len;
    if (userspace_tls(c) && !encrypt(c, plain_len, len)) return core_.begin_close(c);
    send_raw(c, len);
}

void Transport::send_raw(Connection& c, uint32_t len) {
    c.send_off = 0;
    c.send_len = len;
    c.state = ConnState::Sending;
    submit_send(c);
}

void Transport::submit_send(Connection& c) {
    const uint32_t n = c.send_len - c.send_off;
    // A head whose body follows from the file (sendfile, mapping, splice): held back
    // so that the body's first bytes fill its segment, not sent as a small one of its
    // own (nginx's tcp_nopush). The body's sends push it.
    const int more = c.ex.body_left > 0 && !userspace_tls(c) ? MSG_MORE : 0;
    const bool zero_copy = !c.spilled && send_zc_ok_ && !c.tls && n >= core_.conf.io_uring.send_zc_threshold;
    io_uring_sqe* sqe = zero_copy ? core_.submit(c, Op::SendZc, c.buf.index()) : core_.submit(c, Op::Send);
    if (c.spilled) {
        // From the connection's own memory: the kernel may wait on the peer for as
        // long as the send timer allows. kTLS refuses MSG_WAITALL (see below).
        io_uring_prep_send(sqe, c.fd.get(), c.spill.data() + c.send_off, n,
                           MSG_NOSIGNAL | more | (c.tls ? 0 : MSG_WAITALL));
    } else if (zero_copy) {
        // Not on TLS: the user-space chunk loop rewrites the buffer right after each
        // send completes, before a zero-copy notification would let it; and Linux
        // 6.1's tls_sw_sendmsg refuses MSG_ZEROCOPY (and MSG_WAITALL) on kTLS sockets.
        // Zero-copy from the registered pages; the buffer stays kernel-held until the
        // notification CQE (see dispatch), even if this connection moves on.
        io_uring_prep_send_zc_fixed(sqe, c.fd.get(), c.buf.span().data() + c.send_off, n, MSG_NOSIGNAL | MSG_WAITALL, 0,
                                    c.buf.index());
        core_.fixed.kernel_hold(c.buf.index());
    } else {
        // A send that may wait for the peer pins its registered buffer until the peer
        // has read enough. At most half the pool is pinned so; past that a send is
        // MSG_DONTWAIT and what the socket does not take spills (on_send), so slow
        // readers can never starve the pool and the others' sends stay as cheap.
        c.send_waits = waiting_sends_ < core_.fixed.count() / 2;
        int flags = MSG_NOSIGNAL | more | MSG_DONTWAIT;
        if (c.send_waits) {
            ++waiting_sends_;
            flags = MSG_NOSIGNAL | more | (c.tls ? 0 : MSG_WAITALL);
        }
        io_uring_prep_send(sqe, c.fd.get(), c.buf.span().data() + c.send_off, n, flags);
    }
    core_.set_timer(c, Timer::Send);
}

// A MSG_DONTWAIT send the socket did not take whole: its unsent bytes move to the
// connection's own memory and the buffer returns to the pool at once. A slow reader
// then holds what nginx would (its own output buffer), not a share of the pool.
void Transport::spill(Connection& c) {
    const auto rest = c.buf.span().subspan(c.send_off, c.send_len - c.send_off);
    c.spill.assign(rest.begin(), rest.end());
    c.send_len = static_cast<uint32_t>(rest.size());
    c.send_off = 0;
    c.spilled = true;
    ++core_.counters.spills;
    c.buf.reset();
}

bool Transport::on_send(Connection& c, int res, uint32_t flags, const ring::Tag& t) {
    if (flags & IORING_CQE_F_NOTIF) return false;  // buffer already released in dispatch
    const bool waited = std::exchange(c.send_waits, false);
    if (waited) --waiting_sends_;
    if (c.state == ConnState::Closing) return false;
    const bool from_buffer = !c.spilled && t.op == Op::Send;
    if (res == -EAGAIN && from_buffer) res = 0;  // a full socket: all of it spills
    if (res < 0) {
        if (res != -EPIPE && res != -ECONNRESET) spdlog::debug("worker {}: send: {}", core_.index, std::strerror(-res));
        core_.begin_close(c);
        return false;
    }
    (t.op == Op::SendZc ? core_.counters.bytes_zc : core_.counters.bytes_copy) += static_cast<uint64_t>(res);
    c.send_off += static_cast<uint32_t>(res);
    if (c.send_off < c.send_len) {  // short send: the rest
        if (from_buffer && !waited) spill(c);
        submit_send(c);
        return false;
    }
    if (c.spilled) {
        c.spilled = false;
        c.spill = {};  // slow readers are few; idle connections keep no memory
    }
    return true;
}

// The client address the access log shows: the socket's peer, or a PROXY header's.
void remember_peer(Connection& c, const sockaddr_storage& peer) {
    c.peer_len = static_cast<uint8_t>(host_text(peer, c.peer));
}

}  // namespace uringd::server
