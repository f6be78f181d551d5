#pragma once
// One connection's byte stream over plain TCP, user-space TLS or kTLS: received
// bytes into the request area (the rest held, in order, while it is full), the
// PROXY header and the TLS handshake before them, and bytes out of the registered
// buffer (encrypted first in user-space TLS; what a slow reader leaves spilled into
// the connection's own memory). It knows nothing of HTTP.
#include <uringd/server/core.hpp>

#include <sys/socket.h>

#include <cstdint>
#include <span>

namespace uringd::server {

// The client address the access log shows: the socket's peer, or a PROXY header's.
void remember_peer(Connection& c, const sockaddr_storage& peer);

class Transport {
public:
    explicit Transport(WorkerCore& core);

    // Input.
    void submit_recv(Connection& c);
    // Takes a received buffer: as much as fits is consumed (copied, or decrypted) and
    // the rest is held. False when even the hold list is full (the buffer is dropped).
    bool append_input(Connection& c, uint16_t bid, uint32_t len);
    // Consumes held buffers in order while there is room.
    void take_held_input(Connection& c);
    void drop_held_input(Connection& c);
    // A received buffer nobody will read: dropped and counted, with the lingering
    // bounds (kLingerMaxBytes, the idle timer restarted) while the connection lingers.
    void discard(Connection& c, uint16_t bid, uint32_t len);
    // Lingering close (nginx's lingering_close): FIN, then input read and dropped
    // until EOF or the linger bounds, so a reset cannot destroy what the client has
    // not read yet. Held input is dropped first.
    void linger(Connection& c);
    // TLS or HTTP starts: at accept, or after the PROXY header.
    void begin_session(Connection& c);

    // Output: plain_area()[0, plain_len) as is, or encrypted first.
    void start_send(Connection& c, uint32_t plain_len);
    // Sends c.buf[0, len) as it is (handshake records, or already encrypted bytes).
    void send_raw(Connection& c, uint32_t len);
    // A send's completion. True when every byte queued is on the socket; false while
    // the rest is in flight, or when the connection is closing.
    bool on_send(Connection& c, int res, uint32_t flags, const ring::Tag& t);
    // RFC 8446 §6.1: an orderly close starts with close_notify. False when there is
    // nothing to send (already sent, handshake unfinished, or no buffer free).
    bool send_close_notify(Connection& c);
    // Where a response is composed: the whole registered buffer, or its upper half in
    // user-space TLS (the lower half receives the records).
    std::span<char> plain_area(const Connection& c) const;
    // TLS whose records OpenSSL encrypts (no kernel TLS on this connection).
    static bool userspace_tls(const Connection& c) { return c.tls && !c.tls->ktls_tx(); }

private:
    uint32_t consume_input(Connection& c, std::span<const char> data);
    uint32_t consume_proxy_header(Connection& c, std::span<const char> data);
    uint32_t consume_tls(Connection& c, std::span<const char> data);
    uint32_t handshake_step(Connection& c, std::span<const char> data);
    uint32_t refuse_plain_http(Connection& c, std::span<const char> data);
    void drain_tls_plaintext(Connection& c);
    bool encrypt(Connection& c, uint32_t plain_len, uint32_t& out_len);
    void submit_send(Connection& c);
    void spill(Connection& c);

    WorkerCore& core_;
    ring::ProvidedBuffers recv_bufs_;
    bool send_zc_ok_ = false;
    uint32_t waiting_sends_ = 0;  // registered buffers in sends that may wait on the peer
};

}  // namespace uringd::server
