#pragma once
// HTTP/1.1 over a connection's transport: requests parsed from the input one at a
// time (pipelined ones answered in order), each routed and handed to the Responder;
// keep-alive or close after each response; error framing (a parse error ends the
// connection after its response) and lingering close (input read and dropped until
// EOF, so a reset cannot destroy a response the client has not read yet). A
// connection whose ALPN chose h2, or whose first bytes are the HTTP/2 preface, is
// handed to the Http2Session before its first request.
#include <uringd/server/body_sender.hpp>
#include <uringd/server/core.hpp>
#include <uringd/server/http2_session.hpp>
#include <uringd/server/responder.hpp>
#include <uringd/server/route.hpp>
#include <uringd/server/telemetry.hpp>
#include <uringd/server/transport.hpp>

#include <cstdint>

namespace uringd::server {

class Http1Session {
public:
    Http1Session(WorkerCore& core, Transport& transport, BodySender& body, Responder& responder, Telemetry& telemetry,
                 Http2Session& h2);

    void on_recv(Connection& c, int res, uint32_t flags);
    // Every byte queued by the transport is on the socket: a handshake flight, a head,
    // a chunk or a part heading. What comes next: more body, the next part, or the end.
    void on_sent(Connection& c);
    // The body (or a part of it) is out.
    void on_body_sent(Connection& c);
    // The exchange ends: what it held goes back (also when the connection closes).
    static void release_exchange(Connection& c);

private:
    bool switches_to_h2(Connection& c);
    bool discards_input(const Connection& c) const;
    void process_input(Connection& c);
    void handle_request(Connection& c);
    void compact_input(Connection& c);
    void on_handshake_sent(Connection& c);
    void response_done(Connection& c);
    void graceful_close(Connection& c);
    void read_more(Connection& c);

    WorkerCore& core_;
    Transport& transport_;
    BodySender& body_;
    Responder& responder_;
    Telemetry& telemetry_;
    Http2Session& h2_;
};

}  // namespace uringd::server
