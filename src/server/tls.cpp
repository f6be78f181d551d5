// TLS in user space (the fallback when kernel TLS is not in use): the handshake's
// records travel through the ring like any bytes; requests are decrypted into the
// input area; responses are composed in the upper half of the registered buffer and
// encrypted into its lower half, which is what the ring sends.
#include <uringd/http/date.hpp>
#include <uringd/http/response.hpp>
#include <uringd/server/transport.hpp>

#include <array>
#include <ctime>

namespace uringd::server {

using Status = tls::Session::Status;

std::span<char> Transport::plain_area(const Connection& c) const {
    const auto whole = c.buf.span();
    if (!userspace_tls(c)) return whole;
    const std::size_t half = whole.size() / 2;
    return whole.subspan(half, tls::Session::max_plaintext_for(half));
}

uint32_t Transport::consume_tls(Connection& c, std::span<const char> data) {
    if (!c.tls->handshake_done()) return handshake_step(c, data);
    // Records after the handshake wait until its last flight is on the wire.
    if (c.sending_handshake || c.input_failed) return 0;
    const uint32_t room = core_.conf.limits.header_buffer_size - c.in_len;
    if (room == 0) return 0;
    c.tls->set_input(data);
    // No output span while reading: the last one may be a buffer this connection has
    // already given back. A record OpenSSL would write here (a KeyUpdate answer in
    // user-space mode) meets a full output and ends the connection instead.
    c.tls->set_output({});
    std::size_t n = 0;
    const Status st = c.tls->read({c.in + c.in_len, room}, n);
    c.in_len += static_cast<uint32_t>(n);
    if (st == Status::Closed) {
        c.peer_eof = true;  // close_notify: answer what was asked, then close
    } else if (st == Status::Error || st == Status::OutputFull || c.tls->ktls_failed()) {
        // ktls_failed: a KeyUpdate the kernel cannot follow, or a record it refused.
        spdlog::debug("worker {}: slot {}: TLS read: {}", core_.index, c.slot,
                      c.tls->ktls_failed() ? "kernel TLS cannot continue" : c.tls->reason());
        c.input_failed = true;
    }
    return static_cast<uint32_t>(data.size() - c.tls->input_left());
}

// Plaintext OpenSSL already decrypted but could not hand over for lack of room.
void Transport::drain_tls_plaintext(Connection& c) {
    if (!c.tls->handshake_done() || SSL_pending(c.tls->native()) == 0) return;
    consume_tls(c, {});
}

uint32_t Transport::handshake_step(Connection& c, std::span<const char> data) {
    if (c.sending_handshake || c.input_failed) return 0;
    if (!c.buf && !core_.take_buffer(c, Pending::Handshake)) return 0;  // resumed with the held input
    if (c.tls->untouched() && tls::looks_like_plain_http(data)) return refuse_plain_http(c, data);
    c.tls->set_input(data);
    c.tls->set_output(c.buf.span());
    const Status st = c.tls->handshake();
    const auto used = static_cast<uint32_t>(data.size() - c.tls->input_left());
    if (st == Status::Error || st == Status::Closed) {
        ++core_.counters.tls_failures;
        spdlog::debug("worker {}: slot {}: TLS handshake failed: {}", core_.index, c.slot, c.tls->reason());
        c.input_failed = true;
        // Send the alert OpenSSL wrote, if any, before closing.
        if (c.tls->output_size() == 0) return used;
    }
    if (st == Status::Ok) {
        ++core_.counters.tls_handshakes;
        if (c.tls->resumed()) ++core_.counters.tls_resumed;
        ++(c.tls->ktls_tx() ? core_.counters.tls_ktls : core_.counters.tls_userspace);
        spdlog::debug("worker {}: slot {}: {} {} alpn={} sni={} tx={}", core_.index, c.slot, c.tls->version(),
                      c.tls->cipher(), c.tls->alpn(), c.tls->server_name(), c.tls->ktls_tx() ? "kernel" : "user");
    }
    if (c.tls->output_size() > 0) {
        c.sending_handshake = true;
        send_raw(c, static_cast<uint32_t>(c.tls->output_size()));
        return used;
    }
    c.buf.reset();
    if (st != Status::Ok) return used;  // wait for the client's next flight
    // Done without a last flight (TLS 1.2 resumption): what follows the client's
    // Finished in this buffer is already application data.
    c.state = ConnState::Idle;
    core_.set_timer(c, Timer::Header);
    return used + consume_tls(c, data.subspan(used));
}

// An http:// URL aimed at this HTTPS port: a 400 in plain text that says so (as
// nginx and Go's servers answer), then FIN and a lingering read, not a TLS alert the
// client would show as a protocol error. Every byte of the request is consumed.
uint32_t Transport::refuse_plain_http(Connection& c, std::span<const char> data) {
    ++core_.counters.tls_failures;
    spdlog::debug("worker {}: slot {}: plain HTTP on a TLS listener", core_.index, c.slot);
    std::array<char, http::kHttpDateLen> date{};
    http::format_http_date(std::time(nullptr), date.data());
    http::ResponseHead head;
    head.status = http::Status::BadRequest;
    head.date = {date.data(), date.size()};
    head.keep_alive = false;
    const std::size_t n = http::write_error_response(
        head, false, c.buf.span(), "This port speaks HTTPS: the plain HTTP request was sent to an HTTPS port.");
    c.answered_plain_http = true;
    c.sending_handshake = true;  // more input waits; the send's completion lingers (on_handshake_sent)
    send_raw(c, static_cast<uint32_t>(n));
    return static_cast<uint32_t>(data.size());
}

// Encrypts plain_area()[0, plain_len) into the lower half of the buffer.
bool Transport::encrypt(Connection& c, uint32_t plain_len, uint32_t& out_len) {
    const auto whole = c.buf.span();
    c.tls->set_output(whole.first(whole.size() / 2));
    if (c.tls->write(plain_area(c).first(plain_len)) != Status::Ok) {
        spdlog::debug("worker {}: slot {}: TLS write: {}", core_.index, c.slot, c.tls->reason());
        return false;
    }
    out_len = static_cast<uint32_t>(c.tls->output_size());
    return true;
}

// RFC 8446 §6.1: an orderly close starts with close_notify. False when there is
// nothing to send (already sent, handshake unfinished, or no buffer free).
bool Transport::send_close_notify(Connection& c) {
    if (c.close_notify_sent || c.peer_eof || !c.tls->handshake_done()) return false;
    c.close_notify_sent = true;
    if (!c.buf) {
        auto lease = core_.fixed.acquire();
        if (!lease) return false;
        c.buf = std::move(*lease);
    }
    c.tls->set_output(c.buf.span());
    c.tls->close_notify();
    if (c.tls->output_size() == 0) return false;
    send_raw(c, static_cast<uint32_t>(c.tls->output_size()));
    return true;
}

}  // namespace uringd::server
