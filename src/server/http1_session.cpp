// HTTP/1.1 on a connection: parse, route, answer in order, keep alive or close.
#include <uringd/base/clock.hpp>
#include <uringd/server/http1_session.hpp>

#include <sys/socket.h>

#include <cstring>
#include <string>

namespace uringd::server {

Http1Session::Http1Session(WorkerCore& core, Transport& transport, BodySender& body, Responder& responder,
                           Telemetry& telemetry, Http2Session& h2)
    : core_(core),
      transport_(transport),
      body_(body),
      responder_(responder),
      telemetry_(telemetry),
      h2_(h2) {}

void Http1Session::on_recv(Connection& c, int res, uint32_t flags) {
    if (!(flags & IORING_CQE_F_MORE)) c.recv_armed = false;
    if (res > 0) {
        const auto bid = static_cast<uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
        if (discards_input(c)) {
            return transport_.discard(c, bid, static_cast<uint32_t>(res));
        }
        if (!transport_.append_input(c, bid, static_cast<uint32_t>(res))) {
            // Far more pipelined input than the header buffer holds: the requests
            // already in hand are answered, then the connection closes gracefully
            // (process_input) and the client retries the rest.
            spdlog::debug("worker {}: slot {}: too much pipelined input", core_.index, c.slot);
            c.input_cut = true;
        }
        if (c.input_failed) {  // a TLS record or PROXY header that failed: nothing more to say
            spdlog::debug("worker {}: slot {}: input failed while {}", core_.index, c.slot, to_string(c.state));
            // … but the alert of a failed handshake, which tells the client why
            // (protocol_version, handshake_failure): on_handshake_sent closes after it.
            if (c.sending_handshake) return;
            return core_.begin_close(c);
        }
        if (c.state == ConnState::Idle) process_input(c);
        if (!c.recv_armed && c.state != ConnState::Closing && c.held_count == 0) transport_.submit_recv(c);
        return;
    }
    if (res == -ENOBUFS) {  // the provided-buffer ring ran dry; buffers are back by now
        if (c.state != ConnState::Closing) transport_.submit_recv(c);
        return;
    }
    // Cancelled: by begin_close, or by our own backpressure (append_input), in which
    // case recv is re-armed once the held input drains (response_done).
    if (res == -ECANCELED) return;
    spdlog::debug("worker {}: slot {} recv ended: {} while {}", core_.index, c.slot,
                  res == 0 ? "EOF" : std::strerror(-res), to_string(c.state));
    // EOF or a reset. A response in progress still finishes after an EOF (the peer
    // may have only shut its write side); a reset ends everything.
    c.peer_eof = true;
    const bool idle = c.state == ConnState::Idle || c.state == ConnState::Lingering ||
                      c.state == ConnState::Handshaking || c.state == ConnState::ProxyHeader;
    if (res < 0 || idle) core_.begin_close(c);
}

// Input that no request will read: after the response that ends the connection has
// been decided (an error, "Connection: close") and while lingering. It is dropped,
// never held, so it cannot turn the close into a reset (graceful_close).
bool Http1Session::discards_input(const Connection& c) const {
    if (c.state == ConnState::Lingering || c.state == ConnState::Closing || c.input_cut) return true;
    return !c.keep_alive && c.state != ConnState::Idle && c.state != ConnState::Handshaking;
}

// Before the first request: ALPN h2 (RFC 9113 §3.2), or the client's preface (§3.3,
// prior knowledge) on plain HTTP and on TLS without ALPN (as nginx takes it). True
// when the connection is HTTP/2's now, or waits for the rest of what may be a preface.
bool Http1Session::switches_to_h2(Connection& c) {
    if (c.requests > 0 || c.in_parsed > 0 || !h2_.allowed(c)) return false;
    if (c.tls) {
        const std::string_view alpn = c.tls->alpn();
        if (alpn == "h2") {
            h2_.start(c);
            return true;
        }
        if (!alpn.empty()) return false;  // http/1.1 agreed
    }
    switch (Http2Session::sniff({c.in, c.in_len})) {
    case Http2Session::Preface::No: return false;
    case Http2Session::Preface::Maybe:
        if (c.timer != Timer::Header) core_.set_timer(c, Timer::Header);
        return true;
    case Http2Session::Preface::Yes: h2_.start(c); return true;
    }
    return false;
}

void Http1Session::process_input(Connection& c) {
    if (c.in_parsed == c.in_len) return;
    if (switches_to_h2(c)) return;
    const std::string_view bytes(c.in + c.in_parsed, c.in_len - c.in_parsed);
    const auto r = c.parser.feed(bytes);
    c.in_parsed += static_cast<uint32_t>(r.consumed);
    switch (r.state) {
    case http::RequestParser::State::Complete: return handle_request(c);
    case http::RequestParser::State::Error:
        spdlog::debug("worker {}: slot {}: {} ({})", core_.index, c.slot, http::code(c.parser.error_status()),
                      c.parser.error_reason());
        return responder_.respond_simple(c, c.ex, c.parser.error_status(), true);
    case http::RequestParser::State::NeedMore: break;
    }
    if (c.input_cut && c.held_count == 0) return graceful_close(c);  // the rest of the input was dropped
    if (c.parser.in_body() && c.parser.retained_end()) {
        // Body bytes being discarded need not stay: reuse their room.
        c.in_len = c.in_parsed = static_cast<uint32_t>(c.parser.retained_end() - c.in);
    }
    if (c.in_len == core_.conf.limits.header_buffer_size) {
        const auto s = c.parser.target_complete() ? http::Status::HeaderFieldsTooLarge : http::Status::UriTooLong;
        return responder_.respond_simple(c, c.ex, s, true);
    }
    if (c.timer != Timer::Header) core_.set_timer(c, Timer::Header);
}

void Http1Session::handle_request(Connection& c) {
    ++core_.counters.requests;
    ++c.requests;
    const http::Request& req = c.parser.request();
    c.ex.head_only = req.method == http::Method::Head;
    c.keep_alive = req.keep_alive && !core_.draining && !req.expect_continue &&  // its body is never read
                   !core_.ctx.stopping->load(std::memory_order_relaxed);
    c.ex.http10_keep_alive = c.keep_alive && req.version_minor == 0;
    if (core_.ctx.access_log) c.ex.request_us = clock::monotonic_us();
    if (core_.is_admin(c)) return responder_.serve_admin(c);
    const std::string_view sni = c.tls ? c.tls->server_name() : std::string_view{};
    const Route route =
        route_request(core_.ctx, {req, sni, core_.conf.listen[c.listener].https_redirect}, c.ex.resolver.target());
    c.ex.site = route.site;
    switch (route.kind) {
    case Route::Kind::Respond: return responder_.respond_simple(c, c.ex, route.status, route.close);
    case Route::Kind::Redirect:
        https_location(core_.ctx, route, c.ex.location);
        return responder_.respond_simple(c, c.ex, route.status);
    case Route::Kind::Serve: break;
    }
    responder_.serve(c, c.ex);
}

void Http1Session::compact_input(Connection& c) {
    const uint32_t rest = c.in_len - c.in_parsed;
    if (rest > 0 && c.in_parsed > 0) std::memmove(c.in, c.in + c.in_parsed, rest);
    c.in_len = rest;
    c.in_parsed = 0;
    c.parser.next_request();
    transport_.take_held_input(c);
}

// The last flight is out: wait for more handshake, or start reading requests.
void Http1Session::on_handshake_sent(Connection& c) {
    c.sending_handshake = false;
    c.buf.reset();
    // A 400 for plain HTTP is read after the client's request is whole: a close with
    // more of its bytes unread would reset the connection before the client reads it.
    if (c.answered_plain_http) return transport_.linger(c);
    if (c.input_failed) return core_.begin_close(c);
    if (!c.tls->handshake_done()) {
        c.state = ConnState::Handshaking;
        transport_.take_held_input(c);
        return;
    }
    c.state = ConnState::Idle;
    core_.set_timer(c, Timer::Header);
    transport_.take_held_input(c);
    if (c.input_failed) return core_.begin_close(c);
    if (c.state == ConnState::Idle) process_input(c);
    if (c.state == ConnState::Idle && c.peer_eof) return core_.begin_close(c);
    read_more(c);
}

void Http1Session::response_done(Connection& c) {
    telemetry_.log_access(c, c.ex);
    release_exchange(c);
    if (!c.keep_alive) return graceful_close(c);
    c.state = ConnState::Idle;
    compact_input(c);
    core_.set_timer(c, c.in_len > 0 ? Timer::Header : Timer::KeepAlive);
    process_input(c);
    if (c.state == ConnState::Idle && c.peer_eof) return core_.begin_close(c);
    read_more(c);
}

// Response complete but the connection ends. Unread input (held, or still in the
// socket) would make close() send a reset, and a reset destroys the response in the
// client's receive buffer before it is read: so drop what is held, send FIN, and
// read and discard to EOF for a bounded time (nginx's lingering close).
void Http1Session::graceful_close(Connection& c) {
    if (c.tls && transport_.send_close_notify(c)) return;  // back here when it is on the wire
    if (c.peer_eof) return core_.begin_close(c);
    transport_.linger(c);
}

void Http1Session::on_sent(Connection& c) {
    if (c.sending_handshake) return on_handshake_sent(c);
    if (c.ex.body_left > 0 && !body_.continue_body(c)) return;
    on_body_sent(c);
}

void Http1Session::on_body_sent(Connection& c) {
    if (responder_.next_part_or_done(c)) response_done(c);
}

// Receives again unless input is already held or the peer is done sending.
void Http1Session::read_more(Connection& c) {
    if (!c.recv_armed && !c.peer_eof && c.held_count == 0 && c.state != ConnState::Closing) transport_.submit_recv(c);
}

void Http1Session::release_exchange(Connection& c) {
    c.ex = Exchange{};
    c.buf.reset();
    c.timer = Timer::None;
}

}  // namespace uringd::server
