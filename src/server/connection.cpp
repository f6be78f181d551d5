// Receiving and parsing: multishot recv into provided buffers, bytes copied into the
// connection's input area, llhttp over them, one request at a time.
#include <uringd/base/clock.hpp>
#include <uringd/server/worker.hpp>

#include <algorithm>
#include <cstring>

namespace uringd::server {

using ring::Op;

namespace {

// Lingering stops after this much input, however fast it comes (see graceful_close
// for the time bounds).
constexpr uint64_t kLingerMaxBytes = uint64_t{16} << 20;

}  // namespace

void Worker::arm_recv(Connection& c) {
    io_uring_sqe* sqe = ring_.sqe();
    io_uring_prep_recv_multishot(sqe, c.fd.get(), nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = recv_bufs_.group();
    io_uring_sqe_set_data64(sqe, tag(c, Op::Recv));
    ++c.inflight;
    c.recv_armed = true;
}

void Worker::on_recv(Connection& c, int res, uint32_t flags) {
    if (!(flags & IORING_CQE_F_MORE)) c.recv_armed = false;
    if (res > 0) {
        const auto bid = static_cast<uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
        if (discards_input(c)) {
            recv_bufs_.recycle(bid);
            return on_discarded(c, static_cast<uint32_t>(res));
        }
        if (!append_input(c, bid, static_cast<uint32_t>(res))) {
            // Far more pipelined input than the header buffer holds: the requests
            // already in hand are answered, then the connection closes gracefully
            // (process_input) and the client retries the rest.
            spdlog::debug("worker {}: slot {}: too much pipelined input", opts_.index, c.slot);
            c.input_cut = true;
        }
        if (c.input_failed) {  // a TLS record or PROXY header that failed: nothing more to say
            spdlog::debug("worker {}: slot {}: input failed while {}", opts_.index, c.slot, to_string(c.state));
            return begin_close(c);
        }
        if (c.state == ConnState::Idle) process_input(c);
        if (!c.recv_armed && c.state != ConnState::Closing && c.held_count == 0) arm_recv(c);
        return;
    }
    if (res == -ENOBUFS) {  // the provided-buffer ring ran dry; buffers are back by now
        if (c.state != ConnState::Closing) arm_recv(c);
        return;
    }
    // Cancelled: by begin_close, or by our own backpressure (append_input), in which
    // case recv is re-armed once the held input drains (response_done).
    if (res == -ECANCELED) return;
    spdlog::debug("worker {}: slot {} recv ended: {} while {}", opts_.index, c.slot,
                  res == 0 ? "EOF" : std::strerror(-res), to_string(c.state));
    // EOF or a reset. A response in progress still finishes after an EOF (the peer
    // may have only shut its write side); a reset ends everything.
    c.peer_eof = true;
    const bool idle = c.state == ConnState::Idle || c.state == ConnState::Lingering ||
                      c.state == ConnState::Handshaking || c.state == ConnState::ProxyHeader;
    if (res < 0 || idle) begin_close(c);
}

// Input that no request will read: after the response that ends the connection has
// been decided (an error, "Connection: close") and while lingering. It is dropped,
// never held, so it cannot turn the close into a reset (graceful_close).
bool Worker::discards_input(const Connection& c) const {
    if (c.state == ConnState::Lingering || c.state == ConnState::Closing || c.input_cut) return true;
    return !c.keep_alive && c.state != ConnState::Idle && c.state != ConnState::Handshaking;
}

void Worker::on_discarded(Connection& c, uint32_t len) {
    c.discarded += len;
    if (c.state == ConnState::Lingering) {
        if (c.discarded > kLingerMaxBytes) return begin_close(c);
        set_timer(c, Timer::Linger);  // the idle bound restarts; the total bound stands
    }
    if (!c.recv_armed && c.state != ConnState::Closing) arm_recv(c);
}

// Takes a received buffer: as much as fits is consumed (copied, or decrypted on TLS
// connections) and the rest is held, in order, until there is room. False when even
// the hold list is full.
bool Worker::append_input(Connection& c, uint16_t bid, uint32_t len) {
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
    c.held[c.held_count++] = {bid, used, len};
    if (c.held_count == c.held.size() / 2 && c.recv_armed) {
        // Stop the multishot recv; re-armed when the held buffers are consumed.
        io_uring_sqe* sqe = ring_.sqe();
        io_uring_prep_cancel64(sqe, tag(c, Op::Recv), 0);
        io_uring_sqe_set_data64(sqe, ring::encode({0, 0, Op::Cancel}));
    }
    return true;
}

uint32_t Worker::consume_input(Connection& c, std::span<const char> data) {
    if (c.state == ConnState::ProxyHeader) return consume_proxy_header(c, data);
    if (c.tls) return consume_tls(c, data);
    const auto n = static_cast<uint32_t>(std::min<std::size_t>(data.size(), conf_.limits.header_buffer_size - c.in_len));
    std::memcpy(c.in + c.in_len, data.data(), n);
    c.in_len += n;
    return n;
}

// Consumes held buffers in order while there is room (after a compaction, a sent
// handshake flight, or a buffer becoming free).
void Worker::take_held_input(Connection& c) {
    if (c.tls) drain_tls_plaintext(c);
    uint8_t done = 0;
    while (done < c.held_count) {
        HeldRecv& h = c.held[done];
        h.off += consume_input(c, recv_bufs_.data(h.bid, h.len).subspan(h.off));
        if (h.off < h.len) break;
        recv_bufs_.recycle(h.bid);
        ++done;
    }
    std::memmove(c.held.data(), c.held.data() + done, (c.held_count - done) * sizeof(HeldRecv));
    c.held_count = static_cast<uint8_t>(c.held_count - done);
}

void Worker::compact_input(Connection& c) {
    const uint32_t rest = c.in_len - c.in_parsed;
    if (rest > 0 && c.in_parsed > 0) std::memmove(c.in, c.in + c.in_parsed, rest);
    c.in_len = rest;
    c.in_parsed = 0;
    c.parser.next_request();
    take_held_input(c);
}

void Worker::process_input(Connection& c) {
    if (c.in_parsed == c.in_len) return;
    const std::string_view bytes(c.in + c.in_parsed, c.in_len - c.in_parsed);
    const auto r = c.parser.feed(bytes);
    c.in_parsed += static_cast<uint32_t>(r.consumed);
    switch (r.state) {
    case http::RequestParser::State::Complete: return handle_request(c);
    case http::RequestParser::State::Error:
        spdlog::debug("worker {}: slot {}: {} ({})", opts_.index, c.slot, http::code(c.parser.error_status()),
                      c.parser.error_reason());
        return respond_simple(c, c.parser.error_status(), true);
    case http::RequestParser::State::NeedMore: break;
    }
    if (c.input_cut && c.held_count == 0) return graceful_close(c);  // the rest of the input was dropped
    if (c.parser.in_body() && c.parser.retained_end()) {
        // Body bytes being discarded need not stay: reuse their room.
        c.in_len = c.in_parsed = static_cast<uint32_t>(c.parser.retained_end() - c.in);
    }
    if (c.in_len == conf_.limits.header_buffer_size) {
        const auto s = c.parser.target_complete() ? http::Status::HeaderFieldsTooLarge : http::Status::UriTooLong;
        return respond_simple(c, s, true);
    }
    if (c.timer != Timer::Header) set_timer(c, Timer::Header);
}

void Worker::handle_request(Connection& c) {
    ++counters_.requests;
    const http::Request& req = c.parser.request();
    c.head_only = req.method == http::Method::Head;
    c.keep_alive = req.keep_alive && !draining_ && !req.expect_continue &&  // its body is never read
                   !ctx_.stopping->load(std::memory_order_relaxed);
    c.http10_keep_alive = c.keep_alive && req.version_minor == 0;
    c.site = 0;
    if (ctx_.access_log) c.request_us = clock::monotonic_us();
    if (is_admin(c)) return serve_admin(c);
    const std::string_view sni = c.tls ? c.tls->server_name() : std::string_view{};
    const Route route = route_request(ctx_, {req, sni, conf_.listen[c.listener].https_redirect}, c.target);
    c.site = route.site;
    switch (route.kind) {
    case Route::Kind::Respond: return respond_simple(c, route.status, route.close);
    case Route::Kind::Redirect: return redirect_to_https(c, route);
    case Route::Kind::Serve: break;
    }
    c.open_path = c.target.path.empty() ? "." : c.target.path;
    c.opening_index = false;
    serve_path(c);
}

void Worker::redirect_to_https(Connection& c, const Route& route) {
    c.location.assign("https://");
    c.location += route.host;
    if (ctx_.https_port != 443) {
        c.location += ':';
        c.location += std::to_string(ctx_.https_port);
    }
    c.location += route.path_and_query;
    respond_simple(c, route.status);
}

}  // namespace uringd::server
