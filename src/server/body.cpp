// How a body leaves after its head: read behind the head in the registered buffer,
// sendfile from the page cache, sent from the file's mapping, spliced file → pipe →
// socket, or read chunk by chunk.
#include <uringd/server/body_sender.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace uringd::server {

using ring::Op;

BodySender::BodySender(WorkerCore& core, Transport& transport, fs::FileCache& cache)
    : core_(core),
      transport_(transport),
      cache_(cache),
      pipes_(core.conf.io_uring.pipe_size, core.conf.limits.max_connections) {}

// Straight from the file (sendfile or the mapping: path_of) instead of two copies
// (file → buffer → socket). From the mapping, 64 KiB bodies cost 0.78–0.92× the
// server CPU per request, at the same rate
// (bench/results/2026-12-01-0318-medium-mapped.md). Files that will be kept in
// memory are still read into the buffer once.
bool BodySender::leaves_from_file(const Connection& c, const fs::CachedFile& f) const {
    if (f.body_loaded || cache_.wants_body(f)) return false;
    const Path path = path_of(c);
    return path == Path::Sendfile || path == Path::Mapped;
}

// With large_body = "mmap" over plain TCP, files up to this size leave by sendfile:
// a sendfile of at most 64 KiB goes out behind the head as one loopback segment, and
// there it beat the mapped send (32 KiB 1.2x the requests at 0.9x the CPU, 64 KiB
// 1.06x at 0.94x; 96 KiB 0.9x at 1.3x, 128-512 KiB 0.36-0.57x), while larger bodies
// wait on the reader with sendfile (docs/io_uring.md).
constexpr uint64_t kSendfileMax = 64u << 10;
// … and so does every file while the worker holds this many connections. With few,
// each 64 KiB segment sendfile pushes wakes a sleeping reader at the sender's cost
// (1 MiB: a third of the mapping's rate); with many, the readers are busy anyway and
// the mapping's copy is what counts (the page-load mix over 1,024 connections:
// 1.25-1.30x the requests at 0.64-0.66x the CPU; docs/io_uring.md).
//
// Either rule picks between two from-file paths only, and path_of is asked at a
// body's (or a part's) start, never in the middle: sendfile and mapped sends carry
// on from their own completions, so a body never changes path halfway.
constexpr uint32_t kSendfileConnections = 128;

// How continue_body sends this connection's bodies (large_body, and the transport).
BodySender::Path BodySender::path_of(const Connection& c) const {
    if (Transport::userspace_tls(c)) return Path::Chunks;  // every byte must be sealed here
    switch (core_.conf.io_uring.large_body) {
    case config::LargeBody::Sendfile: return Path::Sendfile;
    case config::LargeBody::Splice: return Path::Splice;
    case config::LargeBody::Read: return Path::Chunks;
    case config::LargeBody::Mmap:
        // Over kTLS a send from the mapping would be copied into the kernel's record
        // buffers; sendfile hands it the page-cache pages to encrypt from, without the
        // io-wq rounds of splice (docs/io_uring.md).
        if (c.tls || core_.live >= kSendfileConnections) return Path::Sendfile;
        return c.ex.fref && c.ex.fref->st.stx_size <= kSendfileMax ? Path::Sendfile : Path::Mapped;
    }
    return Path::Chunks;
}

void BodySender::submit_read_fixed(Connection& c, uint32_t head_len) {
    c.ex.body_len = static_cast<uint32_t>(c.ex.fref->st.stx_size);
    submit_read(c, head_len, 0);
}

// c.ex.body_len file bytes from `off` into the registered buffer, behind the
// head_len bytes already there; on_read_fixed sends them together.
void BodySender::submit_read(Connection& c, uint32_t head_len, uint64_t off) {
    c.send_len = head_len;
    io_uring_sqe* sqe = core_.submit(c, Op::ReadFixed);
    io_uring_prep_read_fixed(sqe, c.ex.fref->fd.get(), transport_.plain_area(c).data() + head_len, c.ex.body_len, off,
                             c.buf.index());
    c.state = ConnState::Reading;
}

void BodySender::on_read_fixed(Connection& c, int res) {
    if (c.state == ConnState::Closing) return;
    if (res != static_cast<int>(c.ex.body_len)) {
        // The file shrank (or failed) after statx; its length is already promised.
        if (core_.resource_errors.allow(core_.now_ms))
            spdlog::warn("worker {}: read \"{}\": {} of {} bytes; closing", core_.index, c.ex.resolver.path(),
                         res < 0 ? std::strerror(-res) : std::to_string(res), c.ex.body_len);
        fs::FileCache::invalidate(c.ex.fref.entry());
        return core_.begin_close(c);
    }
    if (c.ex.body_left > 0) {  // one chunk of a large body over userspace TLS (the first behind the head)
        c.ex.body_off += c.ex.body_len;
        c.ex.body_left -= c.ex.body_len;
        return transport_.start_send(c, c.send_len + c.ex.body_len);
    }
    // A small file read for the first time: keep it for the next requests.
    if (cache_.wants_body(c.ex.fref.get()))
        cache_.keep_body(c.ex.fref.entry(), transport_.plain_area(c).subspan(c.send_len, c.ex.body_len));
    transport_.start_send(c, c.send_len + c.ex.body_len);
}

// A body that does not fit behind its head. Chunk by chunk, its first chunk is read
// behind the head, so head and chunk leave in one send: over user-space TLS a 64 KiB
// response was three flights (the head's own record, a full buffer, a tail of a
// few bytes) and is two. Otherwise the head goes first (with MSG_MORE when the body
// follows from the file), and continue_body follows its completion.
void BodySender::start_body(Connection& c, uint32_t head_len) {
    if (path_of(c) != Path::Chunks) return transport_.start_send(c, head_len);
    read_chunk(c, head_len);
}

// Chunk by chunk through the registered buffer: how user-space TLS sends bodies (it
// cannot splice), and the `large_body = "read"` strategy for the others. The chunk
// goes behind the head_len bytes already in the buffer.
void BodySender::read_chunk(Connection& c, uint32_t head_len) {
    c.ex.body_len =
        static_cast<uint32_t>(std::min<uint64_t>(c.ex.body_left, transport_.plain_area(c).size() - head_len));
    submit_read(c, head_len, c.ex.body_off);
    core_.set_timer(c, Timer::Send);
}

// The next piece of a body that leaves after its head: sends from the file's mapping
// (plain TCP with large_body = "mmap", the default), sendfile (kTLS with "mmap", or
// "sendfile"), splice rounds ("splice", or a file that cannot be mapped), or a chunk
// through a registered buffer (user-space TLS, or "read").
bool BodySender::continue_body(Connection& c) {
    switch (path_of(c)) {
    case Path::Sendfile: return start_sendfile(c);
    case Path::Mapped:
        if (!start_mapped(c)) start_splice(c);
        return false;
    case Path::Splice: start_splice(c); return false;
    case Path::Chunks: break;
    }
    if (!c.buf && !core_.take_buffer(c, Pending::Chunk)) return false;
    read_chunk(c, 0);
    return false;
}

// Over kTLS (the default), or with large_body = "sendfile": sendfile(2) from the
// worker, as nginx sends. The page-cache pages go to the socket by reference, so
// the body is never copied on this side, and no io-wq thread or pipe is involved
// (io_uring runs every SPLICE on io-wq). The socket is non-blocking: a call moves
// what fits, and a full socket waits for POLLOUT on the ring. A piece is bounded so
// that one fast reader cannot hold the worker; after a whole piece the POLLOUT poll
// completes at once and the other connections get their turn. Like the mapped
// sends, a page not in the page cache is read in the worker's own time (nginx
// without aio threads does the same).
//
// A body that one call sends whole needs no cork: the head went with MSG_MORE, and
// sendfile marks every chunk but its last with MORE, so head and body leave in full
// segments (or records, over kTLS) and the last one is pushed. One that does not is
// corked from then on, as nginx's tcp_nopush does: only full segments leave until
// the last piece uncorks, not a short one at the end of every call. Corking every
// body cost two setsockopt calls per response.
constexpr uint64_t kFilePiece = 2u << 20;

namespace {
void set_cork(int fd, int on) { ::setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on); }
}  // namespace

bool BodySender::start_sendfile(Connection& c) {
    c.buf.reset();  // the head is on the socket; the body does not need the buffer
    c.ex.file_short = c.ex.body_failed = false;
    c.state = ConnState::Splicing;
    c.ex.corked = false;
    return send_file_piece(c);
}

bool BodySender::send_file_piece(Connection& c) {
    auto off = static_cast<off_t>(c.ex.body_off);
    const ssize_t n = ::sendfile(c.fd.get(), c.ex.fref->fd.get(), &off, std::min(c.ex.body_left, kFilePiece));
    if (n > 0) {
        c.ex.body_off += static_cast<uint64_t>(n);
        c.ex.body_left -= static_cast<uint64_t>(n);
        core_.counters.bytes_sendfile += static_cast<uint64_t>(n);
        if (c.ex.body_left == 0) {
            if (c.ex.corked) set_cork(c.fd.get(), 0);  // pushes the last partial segment
            return true;
        }
    } else if (n == 0) {  // end of file before the length the head promised
        file_shrank(c);
        return false;
    } else if (errno != EAGAIN && errno != EINTR) {  // the peer reset, or the file failed
        core_.begin_close(c);
        return false;
    }
    if (!c.ex.corked) {  // the rest waits for room: full segments only from now on
        set_cork(c.fd.get(), 1);
        c.ex.corked = true;
    }
    submit_writable_poll(c);
    core_.set_timer(c, Timer::Send);
    return false;
}

// One SEND per piece straight from the page cache's mapping: no pipe, no io-wq
// thread, and MSG_WAITALL lets the kernel wait for socket room itself (internal
// poll) instead of a completion per refusal. The FileRef keeps the mapping alive
// until the last completion; a file cut short faults in the kernel's copy (EFAULT),
// never in this process.
constexpr uint64_t kMappedPiece = 2u << 20;

bool BodySender::start_mapped(Connection& c) {
    if (!fs::FileCache::mapping(c.ex.fref.entry())) return false;  // the caller splices instead
    c.buf.reset();  // the head is on the socket; the body does not need the buffer
    c.ex.file_short = c.ex.body_failed = false;
    c.state = ConnState::Splicing;
    submit_mapped_send(c);
    return true;
}

// False when the file is now shorter than the mapping knows: closed.
bool BodySender::submit_mapped_send(Connection& c) {
    const char* base = c.ex.fref->mapped.data();
    const uint64_t end = c.ex.fref->mapped.size();
    if (c.ex.body_off >= end) {  // grew after the mapping: not ours to send
        file_shrank(c);
        return false;
    }
    const auto n = static_cast<unsigned>(std::min({c.ex.body_left, kMappedPiece, end - c.ex.body_off}));
    io_uring_sqe* sqe = core_.submit(c, Op::SendMapped);
    io_uring_prep_send(sqe, c.fd.get(), base + c.ex.body_off, n, MSG_NOSIGNAL | MSG_WAITALL);
    core_.set_timer(c, Timer::Send);
    return true;
}

bool BodySender::on_mapped_send(Connection& c, int res) {
    if (c.state == ConnState::Closing) return false;
    if (res == -EFAULT) {
        file_shrank(c);
        return false;
    }
    if (res <= 0) {
        core_.begin_close(c);
        return false;
    }
    c.ex.body_off += static_cast<uint64_t>(res);
    c.ex.body_left -= static_cast<uint64_t>(res);
    core_.counters.bytes_copy += static_cast<uint64_t>(res);
    if (c.ex.body_left == 0) return true;
    submit_mapped_send(c);
    return false;
}

// The file is shorter than the length its head promised: the connection closes
// (the client sees a short body), and the next request looks at the file anew.
void BodySender::file_shrank(Connection& c) {
    if (core_.resource_errors.allow(core_.now_ms))
        spdlog::warn("worker {}: \"{}\" shrank during the transfer; closing", core_.index, c.ex.resolver.path());
    fs::FileCache::invalidate(c.ex.fref.entry());
    core_.begin_close(c);
}

void BodySender::start_splice(Connection& c) {
    if (!c.ex.pipe) {  // the parts of a multipart body share one
        auto pipe = pipes_.acquire();
        if (!pipe) {
            // Out of descriptors (or the pool is spent): the read loop needs no pipe and
            // the registered buffer that carried the head is still ours.
            if (core_.resource_errors.allow(core_.now_ms))
                spdlog::warn("worker {}: pipe: {}; sending by read instead ({} similar suppressed)", core_.index,
                             std::strerror(pipes_.last_error()), core_.resource_errors.suppressed());
            if (!c.buf && !core_.take_buffer(c, Pending::Chunk)) return;
            return read_chunk(c, 0);
        }
        c.ex.pipe = std::move(*pipe);
    }
    c.buf.reset();  // the head is on the socket; the body does not need the buffer
    c.ex.file_short = c.ex.body_failed = false;
    c.state = ConnState::Splicing;
    submit_splice_round(c);
}

// Pipe → socket never blocks: a slow reader would hold an io-wq thread for as long
// as it reads (one kernel thread per slow client). A full socket answers EAGAIN and
// the round waits for POLLOUT instead (submit_writable_poll).
constexpr unsigned kToSocket = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;

// One round: file → pipe linked to pipe → socket; or, when the pipe still holds bytes
// from a short round, just pipe → socket.
void BodySender::submit_splice_round(Connection& c) {
    const Pipe& p = c.ex.pipe.pipe();
    if (c.ex.pipe.fill == 0) {
        const auto chunk = static_cast<unsigned>(std::min<uint64_t>(c.ex.body_left, pipes_.capacity()));
        core_.ring.reserve(2);  // a link must not be split across two submits
        io_uring_sqe* in = core_.submit(c, Op::SpliceIn);
        io_uring_prep_splice(in, c.ex.fref->fd.get(), static_cast<int64_t>(c.ex.body_off), p.write_end.get(), -1, chunk,
                             SPLICE_F_MOVE);
        in->flags |= IOSQE_IO_LINK;
        io_uring_sqe* out = core_.submit(c, Op::SpliceOut);
        io_uring_prep_splice(out, p.read_end.get(), -1, c.fd.get(), -1, chunk, kToSocket);
        c.ex.body_ops = 2;
    } else {
        io_uring_sqe* out = core_.submit(c, Op::SpliceOut);
        io_uring_prep_splice(out, p.read_end.get(), -1, c.fd.get(), -1, c.ex.pipe.fill, kToSocket);
        c.ex.body_ops = 1;
    }
    core_.set_timer(c, Timer::Send);
}

bool BodySender::on_splice(Connection& c, Op op, int res) {
    --c.ex.body_ops;
    if (op == Op::SpliceIn) {
        if (res > 0) {
            c.ex.pipe.fill += static_cast<uint32_t>(res);
            c.ex.body_off += static_cast<uint64_t>(res);
        } else if (res == 0) {
            c.ex.file_short = true;  // EOF before the statx size: the file was truncated
        } else if (res != -ECANCELED) {
            c.ex.body_failed = true;
        }
    } else if (res > 0) {
        c.ex.pipe.fill -= static_cast<uint32_t>(res);
        c.ex.body_left -= static_cast<uint64_t>(res);
        core_.counters.bytes_splice += static_cast<uint64_t>(res);
    } else if (res != -ECANCELED && res != -EAGAIN) {  // cancelled: the linked file → pipe came up short
        c.ex.body_failed = true;
    }
    if (c.ex.body_ops > 0 || c.state == ConnState::Closing) return false;
    if (c.ex.body_failed) {
        core_.begin_close(c);
        return false;
    }
    if (c.ex.body_left == 0) return true;
    if (c.ex.file_short && c.ex.pipe.fill == 0) {
        file_shrank(c);
        return false;
    }
    // Bytes left in the pipe: the socket is full (or the file round came up short).
    if (c.ex.pipe.fill > 0) submit_writable_poll(c);
    else submit_splice_round(c);
    return false;
}

void BodySender::submit_writable_poll(Connection& c) {
    io_uring_sqe* sqe = core_.submit(c, Op::Writable);
    io_uring_prep_poll_add(sqe, c.fd.get(), POLLOUT);
}

bool BodySender::on_writable(Connection& c, int res) {
    if (c.state == ConnState::Closing) return false;
    if (res < 0) {
        core_.begin_close(c);
        return false;
    }
    if (!c.ex.pipe) return send_file_piece(c);
    submit_splice_round(c);
    return false;
}

}  // namespace uringd::server
