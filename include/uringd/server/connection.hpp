#pragma once
// One client connection: a slab slot owned by one worker. States name the operation
// in flight; `inflight` counts submitted operations whose final CQE has not arrived,
// and the slot is reused only when it is zero.
#include <uringd/base/unique_fd.hpp>
#include <uringd/fs/file_cache.hpp>
#include <uringd/http/encoding.hpp>
#include <uringd/http/parser.hpp>
#include <uringd/http/path.hpp>
#include <uringd/http/range.hpp>
#include <uringd/http/response.hpp>
#include <uringd/ring/buffers.hpp>
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
enum class Pending : uint8_t { None, File, Simple, Handshake, Part, Chunk };

// A provided buffer not yet fully consumed: bytes [off, len) are still to be read.
struct HeldRecv {
    uint16_t bid;
    uint32_t off;
    uint32_t len;
};

struct Connection {
    Connection(uint32_t slot_index, http::ParserLimits limits) : slot(slot_index), parser(limits) {}

    const uint32_t slot;
    UniqueFd fd;
    uint16_t gen = 0;
    ConnState state = ConnState::Free;
    uint32_t inflight = 0;
    uint32_t listener = 0;
    uint8_t site = 0;  // of the request being answered (ServerContext::sites)
    // For the access log: the client's address (when a site logs), when the request
    // was complete, and what its head said.
    std::array<char, 48> peer{};
    uint8_t peer_len = 0;
    int64_t request_us = 0;
    uint16_t status_code = 0;
    uint64_t body_bytes = 0;
    bool recv_armed = false;
    bool peer_eof = false;
    bool keep_alive = true;

    // TLS (null on plain listeners): the certificate set the session was made from
    // (kept alive for it), the session, and what is left to send of it.
    std::shared_ptr<const tls::ContextSet> tls_set;
    std::unique_ptr<tls::Session> tls;
    bool sending_handshake = false;  // the buffer holds handshake records on their way out
    bool close_notify_sent = false;
    bool input_failed = false;       // a TLS record failed to decrypt: close
    bool input_cut = false;          // input was dropped for lack of room: close once the rest is answered
    uint64_t discarded = 0;          // input bytes dropped unread (bounded while lingering)
    int64_t linger_end_ms = 0;       // when lingering stops however much still arrives

    // Input: request bytes copied out of provided buffers (see Worker::append_input).
    char* in = nullptr;
    uint32_t in_len = 0;
    uint32_t in_parsed = 0;
    std::array<HeldRecv, 16> held{};  // recv buffers kept while `in` is full
    uint8_t held_count = 0;
    http::RequestParser parser;

    // The request being answered.
    http::ResolvedTarget target;
    std::string open_path;
    bool head_only = false;
    bool http10_keep_alive = false;
    uint8_t index_try = 0;     // position in the site's index list
    bool opening_index = false;

    // The response.
    UniqueFd file;        // a file being opened (until it enters the cache)
    struct statx st{};    // STATX target
    fs::FileRef fref;     // the cached file being served
    ring::BufferLease buf;
    // What a send left behind when the socket was full (Worker::spill): sent from
    // here, so the registered buffer is back in the pool while the peer reads.
    std::vector<char> spill;
    bool spilled = false;  // send_off / send_len refer to `spill`, not `buf`
    bool send_waits = false;  // the send in flight may wait on the peer (Worker::waiting_sends_)
    uint32_t send_off = 0;
    uint32_t send_len = 0;
    uint32_t body_len = 0;     // bytes of a READ_FIXED body expected
    uint64_t body_off = 0;     // splice: next file offset
    uint64_t body_left = 0;    // splice: bytes not yet on the socket
    int64_t pipe = -1;         // splice: pipe pool index
    uint32_t pipe_fill = 0;    // splice: bytes sitting in the pipe
    uint8_t body_ops = 0;      // splice: SQEs of the current round not yet complete
    bool file_short = false;   // the file ended before its statx size
    bool body_failed = false;
    // multipart/byteranges: the parts still to frame (empty once the closing
    // boundary is queued, and for every other response).
    // Precompressed sidecars: the plain file is held while "<path>.br" etc. are
    // probed in the negotiated order; `coding` is the one being served (-1: none).
    fs::FileRef identity;
    http::Negotiation codings;
    uint8_t coding_try = 0;
    bool probing_sidecar = false;
    int8_t coding = -1;
    uint32_t base_len = 0;  // open_path's length without the sidecar suffix
    std::string coded_etag;  // the plain file's ETag + "-<coding>"
    std::vector<http::ByteRange> parts;
    uint32_t next_part = 0;
    std::array<char, 16> boundary{};
    // A site's page for an error status: served with `error_status`, tried once.
    http::Status error_status = http::Status::Ok;
    bool error_page = false;        // the file being served is that page
    bool error_page_tried = false;
    Pending pending = Pending::None;
    http::Status simple_status = http::Status::Ok;
    std::string location;

    Timer timer = Timer::None;
    int64_t deadline_ms = 0;
    bool in_wait_list = false;
};

}  // namespace uringd::server
