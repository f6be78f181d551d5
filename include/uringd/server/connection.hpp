#pragma once
// One client connection: a slab slot owned by one worker. States name the operation
// in flight; `inflight` counts submitted operations whose final CQE has not arrived,
// and the slot is reused only when it is zero.
#include <uringd/base/unique_fd.hpp>
#include <uringd/fs/file_cache.hpp>
#include <uringd/http/encoding.hpp>
#include <uringd/http/h2_fields.hpp>
#include <uringd/http/parser.hpp>
#include <uringd/http/path.hpp>
#include <uringd/http/range.hpp>
#include <uringd/http/response.hpp>
#include <uringd/ring/buffers.hpp>
#include <uringd/server/pipe_pool.hpp>
#include <uringd/server/resolver.hpp>
#include <uringd/tls/context.hpp>
#include <uringd/tls/session.hpp>

#include <linux/stat.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace uringd::server {

enum class ConnState : uint8_t {
    Free,
    ProxyHeader,    // reading the balancer's PROXY protocol header (before TLS or HTTP)
    Handshaking,    // TLS handshake waiting for the client's next flight
    Idle,           // waiting for (the rest of) a request
    Opening,        // OPENAT2 in flight
    Statting,       // STATX in flight
    WaitingBuffer,  // parked until a registered buffer is free
    Reading,        // READ_FIXED of a small body in flight
    Sending,        // SEND / SEND_ZC of a registered buffer in flight
    Splicing,       // the body leaves from the file: splice rounds or mapped sends
    Lingering,      // response done, write side shut: discard input until EOF
    Closing,        // cancelled; waiting for inflight == 0
};
const char* to_string(ConnState s);

enum class Timer : uint8_t { None, Proxy, Handshake, Header, KeepAlive, Send, Linger };

// What a parked connection does once it gets a buffer.
enum class Pending : uint8_t { None, File, Simple, Handshake, Part, Chunk, H2Output };

// HTTP/2: the response the Responder decided for a stream, for Http2Session to
// frame. The body is a list of segments, each some text (an error page, a
// multipart heading) and then a range of the exchange's file.
struct H2Reply {
    struct Segment {
        std::string text;
        uint64_t off = 0;
        uint64_t len = 0;
    };
    bool ready = false;
    http::H2Fields fields;  // :status first (http::append_h2_fields)
    std::vector<Segment> body;
    uint32_t seg = 0;      // the segment being sent …
    uint64_t seg_pos = 0;  // … and the bytes of it already framed (its text, then its range)

    // For the next stream in the same slot; the strings keep their capacity.
    void clear() {
        ready = false;
        fields.clear();
        body.clear();
        seg = 0;
        seg_pos = 0;
    }
};

// One request's exchange: everything from its parse to the last byte of its
// response. Reset by assignment when the response is done (or the connection
// closes), which also returns what it holds: the file references, the open file
// and the splice pipe. The registered buffer is the connection's (handshakes use it
// too); the pipe is only reset when no splice on it is in flight.
struct Exchange {
    uint8_t site = 0;  // ServerContext::sites; 0 answers requests that fail to parse
    // HTTP/1.1: null, the request is the connection parser's. HTTP/2: the stream's
    // request, the reply it fills, and the stream's slot (the tag of its opens).
    const http::Request* request = nullptr;
    H2Reply* h2 = nullptr;
    uint16_t stream_slot = 0;
    // For the access log: when the request was complete, and what the head said.
    int64_t request_us = 0;
    uint16_t status_code = 0;
    uint64_t body_bytes = 0;
    bool head_only = false;
    bool http10_keep_alive = false;

    // What answers it: target, index files, sidecars, error pages (resolver.hpp).
    Resolver resolver;
    UniqueFd file;                                  // a file being opened (until it enters the cache)
    struct statx st {};                             // STATX target
    fs::FileRef fref;                               // the file being served
    fs::FileRef identity;                           // the plain file, held while its sidecars are probed
    std::string coded_etag;                         // the plain file's ETag + "-<coding>"
    http::Status simple_status = http::Status::Ok;  // a built-in response's (kept while parked)
    std::string location;                           // Location of a redirect

    // multipart/byteranges: the parts still to frame (empty once the closing
    // boundary is queued, and for every other response).
    std::vector<http::ByteRange> parts;
    uint32_t next_part = 0;
    std::array<char, 16> boundary{};

    // The body's progress.
    uint32_t body_len = 0;    // bytes of a READ_FIXED body expected
    uint64_t body_off = 0;    // next file offset
    uint64_t body_left = 0;   // bytes not yet on the socket
    PipeLease pipe;           // splice: the pipe, and the bytes sitting in it
    uint8_t body_ops = 0;     // splice: SQEs of the current round not yet complete
    bool corked = false;      // sendfile: TCP_CORK on, since a call left some of the body
    bool file_short = false;  // the file ended before its statx size
    bool body_failed = false;
};

// A connection's HTTP/2 state (http2_session.hpp); freed by its own deleter so that
// this header needs no nghttp2.
struct H2Connection;
struct H2ConnectionDeleter {
    void operator()(H2Connection* h) const;
};

struct Connection {
    Connection(uint32_t slot_index, http::ParserLimits limits) : slot(slot_index), parser(limits) {}

    const uint32_t slot;
    UniqueFd fd;
    uint16_t gen = 0;
    ConnState state = ConnState::Free;
    uint32_t inflight = 0;
    uint32_t listener = 0;
    // For the access log: the client's address (when a site logs).
    std::array<char, 48> peer{};
    uint8_t peer_len = 0;
    bool recv_armed = false;
    bool peer_eof = false;
    bool keep_alive = true;

    // TLS (null on plain listeners): the certificate set the session was made from
    // (kept alive for it), the session, and what is left to send of it.
    std::shared_ptr<const tls::ContextSet> tls_set;
    std::unique_ptr<tls::Session> tls;
    bool sending_handshake = false;    // the buffer holds handshake records on their way out
    bool answered_plain_http = false;  // … or the 400 for plain HTTP on a TLS listener
    bool close_notify_sent = false;
    bool input_failed = false;  // a TLS record failed to decrypt: close
    bool input_cut = false;     // input was dropped for lack of room: close once the rest is answered
    uint64_t discarded = 0;     // input bytes dropped unread (bounded while lingering)
    int64_t linger_end_ms = 0;  // when lingering stops however much still arrives

    // Input: request bytes copied out of provided buffers (see Transport::append_input).
    char* in = nullptr;
    uint32_t in_len = 0;
    uint32_t in_parsed = 0;
    std::array<ring::RecvLease, 16> held{};  // recv buffers kept while `in` is full, in order
    uint8_t held_count = 0;
    http::RequestParser parser;

    Exchange ex;                                            // the request being answered (HTTP/1.1)
    uint32_t requests = 0;                                  // requests begun on this connection (HTTP/1.1)
    std::unique_ptr<H2Connection, H2ConnectionDeleter> h2;  // set once the connection speaks HTTP/2

    // Output: the registered buffer a head (and a small body) is written into.
    ring::BufferLease buf;
    // What a send left behind when the socket was full (Transport::spill): sent from
    // here, so the registered buffer is back in the pool while the peer reads.
    std::vector<char> spill;
    bool spilled = false;     // send_off / send_len refer to `spill`, not `buf`
    bool send_waits = false;  // the send in flight may wait on the peer (Transport::waiting_sends_)
    uint32_t send_off = 0;
    uint32_t send_len = 0;
    Pending pending = Pending::None;

    Timer timer = Timer::None;
    int64_t deadline_ms = 0;
    bool in_wait_list = false;
};

}  // namespace uringd::server
