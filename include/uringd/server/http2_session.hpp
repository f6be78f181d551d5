#pragma once
// HTTP/2 over a connection's transport (RFC 9113), framing and HPACK by libnghttp2.
// uringd owns the I/O: bytes the ring received are fed to nghttp2's session, and the
// frames it has to send are written into the registered buffer (DATA payloads copied
// there straight from the file) and sent by the transport. Each stream is an
// Exchange answered by the same Responder as HTTP/1.1. Limits against the known
// HTTP/2 floods end the connection with a GOAWAY, counted for /metrics.
#include <uringd/base/block_pool.hpp>
#include <uringd/fs/file_cache.hpp>
#include <uringd/http/h2_fields.hpp>
#include <uringd/http/request.hpp>
#include <uringd/server/core.hpp>
#include <uringd/server/responder.hpp>
#include <uringd/server/telemetry.hpp>
#include <uringd/server/transport.hpp>

#include <nghttp2/nghttp2.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace uringd::server {

// One stream: its request (fields as received, viewed by `req`), its exchange and
// the reply the Responder leaves for it.
struct H2Stream {
    int32_t id = 0;
    http::Request req;
    http::H2Fields fields;  // as received
    uint32_t field_bytes = 0;
    Exchange ex;
    H2Reply reply;
    uint64_t body_unread = 0;  // body bytes nghttp2 has not yet asked for
    bool submitted = false;    // the reply is with nghttp2
    bool closed = false;       // nghttp2 is done with it: freed once no open/statx is in flight
    uint8_t ops = 0;           // opens and statx of this stream in flight
};

// File bytes a flush copies into one of its DATA frames, read after nghttp2 has
// laid out every frame so that a stream's consecutive frames cost one preadv. It
// holds its own reference: the stream may close (and let go of the file) before.
struct H2FileRead {
    fs::FileRef file;
    uint64_t off = 0;
    char* dst = nullptr;
    std::size_t len = 0;
};

struct H2Connection {
    ~H2Connection();
    std::shared_ptr<BlockPool> pool;  // where the session's memory comes from: outlives it
    nghttp2_session* session = nullptr;
    Connection* conn = nullptr;
    class Http2Session* owner = nullptr;
    // Streams by slot (the aux of their opens' tags); a slot is reused once its
    // stream is closed and no completion for it is outstanding. A free slot may hold
    // no stream (null) until it is used again.
    std::vector<std::unique_ptr<H2Stream>> streams;
    std::vector<uint16_t> free_slots;
    uint32_t live_streams = 0;            // slots in use
    uint32_t lookups = 0;                 // opens and statx in flight, all streams
    std::span<char> out;                  // during a flush: where frames are written …
    uint32_t out_len = 0;                 // … and how much of it is used
    std::vector<H2FileRead> reads;        // … and the file bytes still to read into it
    bool goaway = false;                  // GOAWAY queued or sent: no new streams; close when done
    int32_t max_stream_id = 0;            // the highest stream a client's HEADERS named
    std::array<int32_t, 16> reset_ids{};  // the streams this side reset last
    uint32_t resets = 0;
    bool data_sent = false;        // DATA left since the last flush
    int64_t stalled_since_ms = 0;  // a stream has waited for the client's window since then
    int64_t block_started_ms = 0;  // a request's header block began then and is not whole yet …
    int32_t block_stream = 0;      // … on this stream
    H2Stream* block = nullptr;     // the request stream its fields go to (null: refused)
    double reset_tokens = 0;       // the client's RST_STREAMs: a token bucket …
    int64_t reset_tokens_ms = 0;   // … last refilled then
};

class Http2Session {
public:
    Http2Session(WorkerCore& core, Transport& transport, Responder& responder, Telemetry& telemetry);

    // Whether the connection may switch to HTTP/2, and whether `input` (the first
    // bytes of a plain connection) is its preface: Yes, No, or Maybe (too short yet).
    enum class Preface : uint8_t { No, Maybe, Yes };
    static Preface sniff(std::string_view input);
    bool allowed(const Connection& c) const;
    // The connection speaks HTTP/2 from here: what is in its input is fed first.
    void start(Connection& c);

    void on_recv(Connection& c, int res, uint32_t flags);
    void on_sent(Connection& c);
    void on_lookup(Connection& c, uint16_t slot, ring::Op op, int res);
    // Frames the session has waiting, into a registered buffer (Pending::H2Output).
    void flush(Connection& c);
    // A drain (GOAWAY, streams in flight finish) or an idle connection's end.
    void shut_down(Connection& c);
    // A timer of an HTTP/2 connection ran out: true when it ends with a GOAWAY (idle,
    // or streams stalled on the client's window); false: the Worker closes it.
    bool on_timer(Connection& c);

    // nghttp2 callbacks (http2_session.cpp), by way of the session's user data.
    int on_headers_frame(H2Connection& h, int32_t id);
    int on_begin_headers(H2Connection& h, int32_t id);
    int on_header(H2Connection& h, H2Stream& s, std::string_view name, std::string_view value);
    int on_request(H2Connection& h, H2Stream& s);
    void on_stream_close(H2Connection& h, H2Stream& s);
    int on_client_reset(H2Connection& h);
    int on_goaway_sent(uint32_t error_code);

private:
    static std::optional<http::Status> build_request(H2Stream& s);
    void submit_reply(H2Connection& h, H2Stream& s);
    void schedule(H2Connection& h, H2Stream& s);
    void release(H2Connection& h, H2Stream& s);
    void feed(Connection& c);
    void after_flush(Connection& c);
    bool end_answered_streams(H2Connection& h);
    void linger(Connection& c);

    WorkerCore& core_;
    Transport& transport_;
    Responder& responder_;
    Telemetry& telemetry_;
    std::vector<nghttp2_nv> nva_;  // scratch: a reply's fields as nghttp2 takes them
    // The worker's nghttp2 sessions allocate from here; each session holds a share.
    std::shared_ptr<BlockPool> pool_ = std::make_shared<BlockPool>();
};

}  // namespace uringd::server
