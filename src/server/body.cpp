// How the bytes leave: one send (or SEND_ZC) from a registered buffer holding head
// and small body; or the head, then the body spliced file → pipe → socket.
#include <uringd/server/worker.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace uringd::server {

using ring::Op;

void Worker::submit_read_fixed(Connection& c, uint32_t head_len) {
    c.body_len = static_cast<uint32_t>(c.fref->st.stx_size);
    c.send_len = head_len;
    io_uring_sqe* sqe = ring_.sqe();
    io_uring_prep_read_fixed(sqe, c.fref->fd.get(), plain_area(c).data() + head_len, c.body_len, 0, c.buf.index());
    io_uring_sqe_set_data64(sqe, tag(c, Op::ReadFixed));
    ++c.inflight;
    c.state = ConnState::Reading;
}

void Worker::on_read_fixed(Connection& c, int res) {
    if (c.state == ConnState::Closing) return;
    if (res != static_cast<int>(c.body_len)) {
        // The file shrank (or failed) after statx; its length is already promised.
        if (resource_errors_.allow(now_ms_))
            spdlog::warn("worker {}: read \"{}\": {} of {} bytes; closing", opts_.index, c.open_path,
                         res < 0 ? std::strerror(-res) : std::to_string(res), c.body_len);
        fs::FileCache::invalidate(c.fref.entry());
        return begin_close(c);
    }
    if (c.body_left > 0) {  // one chunk of a large body over userspace TLS
        c.body_off += c.body_len;
        c.body_left -= c.body_len;
        return start_send(c, c.body_len);
    }
    // A small file read for the first time: keep it for the next requests.
    if (cache_.wants_body(c.fref.get()))
        cache_.keep_body(c.fref.entry(), plain_area(c).subspan(c.send_len, c.body_len));
    start_send(c, c.send_len + c.body_len);
}

// Chunk by chunk through the registered buffer: how user-space TLS sends bodies (it
// cannot splice), and the `large_body = "read"` strategy for the others.
void Worker::read_tls_chunk(Connection& c) {
    c.body_len = static_cast<uint32_t>(std::min<uint64_t>(c.body_left, plain_area(c).size()));
    io_uring_sqe* sqe = ring_.sqe();
    io_uring_prep_read_fixed(sqe, c.fref->fd.get(), plain_area(c).data(), c.body_len, c.body_off, c.buf.index());
    io_uring_sqe_set_data64(sqe, tag(c, Op::ReadFixed));
    ++c.inflight;
    c.state = ConnState::Reading;
    set_timer(c, Timer::Send);
}

// Sends plain_area()[0, plain_len): as is, or encrypted first on a TLS connection.
void Worker::start_send(Connection& c, uint32_t plain_len) {
    uint32_t len = plain_len;
    if (userspace_tls(c) && !encrypt(c, plain_len, len)) return begin_close(c);
    send_raw(c, len);
}

void Worker::send_raw(Connection& c, uint32_t len) {
    c.send_off = 0;
    c.send_len = len;
    c.state = ConnState::Sending;
    submit_send(c);
}

void Worker::submit_send(Connection& c) {
    const uint32_t n = c.send_len - c.send_off;
    io_uring_sqe* sqe = ring_.sqe();
    if (c.spilled) {
        // From the connection's own memory: the kernel may wait on the peer for as
        // long as the send timer allows. kTLS refuses MSG_WAITALL (see below).
        io_uring_prep_send(sqe, c.fd.get(), c.spill.data() + c.send_off, n, MSG_NOSIGNAL | (c.tls ? 0 : MSG_WAITALL));
        io_uring_sqe_set_data64(sqe, tag(c, Op::Send));
    } else if (send_zc_ok_ && !c.tls && n >= conf_.io_uring.send_zc_threshold) {
        // Not on TLS: the user-space chunk loop rewrites the buffer right after each
        // send completes, before a zero-copy notification would let it; and Linux
        // 6.1's tls_sw_sendmsg refuses MSG_ZEROCOPY (and MSG_WAITALL) on kTLS sockets.
        // Zero-copy from the registered pages; the buffer stays kernel-held until the
        // notification CQE (see dispatch), even if this connection moves on.
        io_uring_prep_send_zc_fixed(sqe, c.fd.get(), c.buf.span().data() + c.send_off, n, MSG_NOSIGNAL | MSG_WAITALL,
                                    0, c.buf.index());
        io_uring_sqe_set_data64(sqe, tag(c, Op::SendZc, c.buf.index()));
        fixed_.kernel_hold(c.buf.index());
    } else {
        // A send that may wait for the peer pins its registered buffer until the peer
        // has read enough. At most half the pool is pinned so; past that a send is
        // MSG_DONTWAIT and what the socket does not take spills (on_send), so slow
        // readers can never starve the pool and the others' sends stay as cheap.
        c.send_waits = waiting_sends_ < fixed_.count() / 2;
        int flags = MSG_NOSIGNAL | MSG_DONTWAIT;
        if (c.send_waits) {
            ++waiting_sends_;
            flags = MSG_NOSIGNAL | (c.tls ? 0 : MSG_WAITALL);
        }
        io_uring_prep_send(sqe, c.fd.get(), c.buf.span().data() + c.send_off, n, flags);
        io_uring_sqe_set_data64(sqe, tag(c, Op::Send));
    }
    ++c.inflight;
    set_timer(c, Timer::Send);
}

// A MSG_DONTWAIT send the socket did not take whole: its unsent bytes move to the
// connection's own memory and the buffer returns to the pool at once. A slow reader
// then holds what nginx would (its own output buffer), not a share of the pool.
void Worker::spill(Connection& c) {
    const auto rest = c.buf.span().subspan(c.send_off, c.send_len - c.send_off);
    c.spill.assign(rest.begin(), rest.end());
    c.send_len = static_cast<uint32_t>(rest.size());
    c.send_off = 0;
    c.spilled = true;
    ++counters_.spills;
    c.buf.reset();
}

void Worker::on_send(Connection& c, int res, uint32_t flags, const ring::Tag& t) {
    if (flags & IORING_CQE_F_NOTIF) return;  // buffer already released in dispatch
    const bool waited = std::exchange(c.send_waits, false);
    if (waited) --waiting_sends_;
    if (c.state == ConnState::Closing) return;
    const bool from_buffer = !c.spilled && t.op == Op::Send;
    if (res == -EAGAIN && from_buffer) res = 0;  // a full socket: all of it spills
    if (res < 0) {
        if (res != -EPIPE && res != -ECONNRESET)
            spdlog::debug("worker {}: send: {}", opts_.index, std::strerror(-res));
        return begin_close(c);
    }
    (t.op == Op::SendZc ? counters_.bytes_zc : counters_.bytes_copy) += static_cast<uint64_t>(res);
    c.send_off += static_cast<uint32_t>(res);
    if (c.send_off < c.send_len) {  // short send: the rest
        if (from_buffer && !waited) spill(c);
        return submit_send(c);
    }
    if (c.spilled) {
        c.spilled = false;
        c.spill = {};  // slow readers are few; idle connections keep no memory
    }
    if (c.sending_handshake) return on_handshake_sent(c);
    if (c.body_left > 0) return continue_body(c);
    next_part_or_done(c);
}

// The next piece of a large body: a chunk through a registered buffer (user-space
// TLS, or large_body = "read"), sends from the file's mapping (plain TCP with
// large_body = "mmap"), or splice rounds.
void Worker::continue_body(Connection& c) {
    const auto how = conf_.io_uring.large_body;
    if (!userspace_tls(c) && how != config::LargeBody::Read) {
        if (how == config::LargeBody::Mmap && !c.tls && start_mapped(c)) return;
        return start_splice(c);
    }
    if (!c.buf && !take_buffer(c, Pending::Chunk)) return;
    read_tls_chunk(c);
}

// One SEND per piece straight from the page cache's mapping: no pipe, no io-wq
// thread, and MSG_WAITALL lets the kernel wait for socket room itself (internal
// poll) instead of a completion per refusal. The FileRef keeps the mapping alive
// until the last completion; a file cut short faults in the kernel's copy (EFAULT),
// never in this process.
constexpr uint64_t kMappedPiece = 2u << 20;

bool Worker::start_mapped(Connection& c) {
    if (!fs::FileCache::mapping(c.fref.entry())) return false;  // splice instead
    c.buf.reset();  // the head is on the socket; the body does not need the buffer
    c.file_short = c.body_failed = false;
    c.state = ConnState::Splicing;
    submit_mapped_send(c);
    return true;
}

void Worker::submit_mapped_send(Connection& c) {
    const char* base = c.fref->mapped.data();
    const uint64_t end = c.fref->mapped.size();
    if (c.body_off >= end) return on_mapped_send(c, -EFAULT);  // grew after the mapping: not ours to send
    const auto n = static_cast<unsigned>(std::min({c.body_left, kMappedPiece, end - c.body_off}));
    io_uring_sqe* sqe = ring_.sqe();
    io_uring_prep_send(sqe, c.fd.get(), base + c.body_off, n, MSG_NOSIGNAL | MSG_WAITALL);
    io_uring_sqe_set_data64(sqe, tag(c, Op::SendMapped));
    ++c.inflight;
    set_timer(c, Timer::Send);
}

void Worker::on_mapped_send(Connection& c, int res) {
    if (c.state == ConnState::Closing) return;
    if (res == -EFAULT) {
        if (resource_errors_.allow(now_ms_))
            spdlog::warn("worker {}: \"{}\" shrank during the transfer; closing", opts_.index, c.open_path);
        fs::FileCache::invalidate(c.fref.entry());
        return begin_close(c);
    }
    if (res <= 0) return begin_close(c);
    c.body_off += static_cast<uint64_t>(res);
    c.body_left -= static_cast<uint64_t>(res);
    counters_.bytes_copy += static_cast<uint64_t>(res);
    if (c.body_left == 0) return next_part_or_done(c);
    submit_mapped_send(c);
}

void Worker::start_splice(Connection& c) {
    const auto pipe = pipes_.acquire();
    if (!pipe) {
        // Out of descriptors (or the pool is spent): the read loop needs no pipe and
        // the registered buffer that carried the head is still ours.
        if (resource_errors_.allow(now_ms_))
            spdlog::warn("worker {}: pipe: {}; sending by read instead ({} similar suppressed)", opts_.index,
                         std::strerror(pipes_.last_error()), resource_errors_.suppressed());
        if (!c.buf && !take_buffer(c, Pending::Chunk)) return;
        return read_tls_chunk(c);
    }
    c.buf.reset();  // the head is on the socket; the body does not need the buffer
    c.pipe = *pipe;
    c.pipe_fill = 0;
    c.file_short = c.body_failed = false;
    c.state = ConnState::Splicing;
    submit_splice_round(c);
}

// Pipe → socket never blocks: a slow reader would hold an io-wq thread for as long
// as it reads (one kernel thread per slow client). A full socket answers EAGAIN and
// the round waits for POLLOUT instead (wait_writable).
constexpr unsigned kToSocket = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;

// One round: file → pipe linked to pipe → socket; or, when the pipe still holds bytes
// from a short round, just pipe → socket.
void Worker::submit_splice_round(Connection& c) {
    const Pipe& p = pipes_.get(static_cast<uint32_t>(c.pipe));
    if (c.pipe_fill == 0) {
        const auto chunk = static_cast<unsigned>(std::min<uint64_t>(c.body_left, pipes_.capacity()));
        ring_.reserve(2);  // a link must not be split across two submits
        io_uring_sqe* in = ring_.sqe();
        io_uring_prep_splice(in, c.fref->fd.get(), static_cast<int64_t>(c.body_off), p.write_end.get(), -1, chunk,
                             SPLICE_F_MOVE);
        in->flags |= IOSQE_IO_LINK;
        io_uring_sqe_set_data64(in, tag(c, Op::SpliceIn));
        io_uring_sqe* out = ring_.sqe();
        io_uring_prep_splice(out, p.read_end.get(), -1, c.fd.get(), -1, chunk, kToSocket);
        io_uring_sqe_set_data64(out, tag(c, Op::SpliceOut));
        c.inflight += 2;
        c.body_ops = 2;
    } else {
        io_uring_sqe* out = ring_.sqe();
        io_uring_prep_splice(out, p.read_end.get(), -1, c.fd.get(), -1, c.pipe_fill, kToSocket);
        io_uring_sqe_set_data64(out, tag(c, Op::SpliceOut));
        c.inflight += 1;
        c.body_ops = 1;
    }
    set_timer(c, Timer::Send);
}

void Worker::on_splice(Connection& c, Op op, int res) {
    --c.body_ops;
    if (op == Op::SpliceIn) {
        if (res > 0) {
            c.pipe_fill += static_cast<uint32_t>(res);
            c.body_off += static_cast<uint64_t>(res);
        } else if (res == 0) {
            c.file_short = true;  // EOF before the statx size: the file was truncated
        } else if (res != -ECANCELED) {
            c.body_failed = true;
        }
    } else if (res > 0) {
        c.pipe_fill -= static_cast<uint32_t>(res);
        c.body_left -= static_cast<uint64_t>(res);
        counters_.bytes_splice += static_cast<uint64_t>(res);
    } else if (res != -ECANCELED && res != -EAGAIN) {  // cancelled: the linked file → pipe came up short
        c.body_failed = true;
    }
    if (c.body_ops > 0 || c.state == ConnState::Closing) return;
    if (c.body_failed) return begin_close(c);
    if (c.body_left == 0) return next_part_or_done(c);
    if (c.file_short && c.pipe_fill == 0) {
        if (resource_errors_.allow(now_ms_))
            spdlog::warn("worker {}: \"{}\" shrank during the transfer; closing", opts_.index, c.open_path);
        fs::FileCache::invalidate(c.fref.entry());
        return begin_close(c);
    }
    // Bytes left in the pipe: the socket is full (or the file round came up short).
    if (c.pipe_fill > 0) return wait_writable(c);
    submit_splice_round(c);
}

void Worker::wait_writable(Connection& c) {
    io_uring_sqe* sqe = ring_.sqe();
    io_uring_prep_poll_add(sqe, c.fd.get(), POLLOUT);
    io_uring_sqe_set_data64(sqe, tag(c, Op::Writable));
    ++c.inflight;
}

void Worker::on_writable(Connection& c, int res) {
    if (c.state == ConnState::Closing) return;
    if (res < 0) return begin_close(c);
    submit_splice_round(c);
}

void Worker::release_body(Connection& c) {
    c.file.reset();
    c.fref.reset();
    c.buf.reset();
    if (c.pipe >= 0) pipes_.release(static_cast<uint32_t>(c.pipe), c.pipe_fill > 0);
    c.pipe = -1;
    c.pipe_fill = 0;
    c.body_left = c.body_off = 0;
    c.body_ops = 0;
    c.parts = {};
    c.identity.reset();
    c.probing_sidecar = false;
    c.coding = -1;
    c.error_page = c.error_page_tried = false;
    c.status_code = 0;
    c.site = 0;  // a request that fails to parse is answered for the default site
    c.head_only = c.http10_keep_alive = false;
    c.timer = Timer::None;
}

void Worker::response_done(Connection& c) {
    log_access(c);
    release_body(c);
    if (!c.keep_alive) return graceful_close(c);
    c.state = ConnState::Idle;
    compact_input(c);
    set_timer(c, c.in_len > 0 ? Timer::Header : Timer::KeepAlive);
    process_input(c);
    if (c.state == ConnState::Idle && c.peer_eof) return begin_close(c);
    if (!c.recv_armed && !c.peer_eof && c.held_count == 0 && c.state != ConnState::Closing) arm_recv(c);
}

}  // namespace uringd::server
