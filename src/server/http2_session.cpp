// HTTP/2 on a connection: nghttp2 frames and decodes, the ring moves the bytes,
// the Responder answers each stream through the same resolver as HTTP/1.1.
#include <uringd/base/clock.hpp>
#include <uringd/http/h2_fields.hpp>
#include <uringd/server/http2_body.hpp>
#include <uringd/server/http2_session.hpp>
#include <uringd/server/route.hpp>

#include <nghttp2/nghttp2.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace uringd::server {

using ring::Op;

namespace {

using h2body::conn_of;

constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr uint32_t kMaxConcurrentStreams = 128;
// Stream slots still held: open streams, and closed ones whose open or statx has
// not completed yet (a rapid reset leaves some behind).
constexpr std::size_t kMaxStreamSlots = 2 * kMaxConcurrentStreams;
// Freed slots that keep their stream allocated (about 4 KiB each): enough for a
// client that keeps ten or so streams in flight (h2load -m10, a page's burst) to
// reuse them; with 8, two of every ten streams were allocated anew, 1.00-1.07x the
// CPU per request (bench/results/2026-12-01-1128-h2-spare-streams.md).
constexpr std::size_t kSpareStreams = 16;
// The client's RST_STREAMs (on_client_reset): a burst, then so many a second.
constexpr double kResetBurst = 200, kResetsPerSecond = 33;

H2Stream* stream_data(nghttp2_session* session, int32_t id) {
    return static_cast<H2Stream*>(nghttp2_session_get_stream_user_data(session, id));
}

// The stream a request header block belongs to. A block is never interleaved with
// other frames (RFC 9113 §4.3), so the stream begun last is the one: no lookup in
// nghttp2's stream map for each field.
H2Stream* request_stream(nghttp2_session* session, const H2Connection& h, int32_t id) {
    if (h.block != nullptr && h.block->id == id) return h.block;
    return stream_data(session, id);
}

// Every frame but DATA: into the output span, as much as fits.
ssize_t send_bytes(nghttp2_session*, const uint8_t* data, size_t length, int, void* user_data) {
    H2Connection& h = conn_of(user_data);
    const std::size_t n = std::min(length, h.out.size() - h.out_len);
    if (n == 0) return NGHTTP2_ERR_WOULDBLOCK;
    std::memcpy(h.out.data() + h.out_len, data, n);
    h.out_len += static_cast<uint32_t>(n);
    return static_cast<ssize_t>(n);
}

int begin_frame(nghttp2_session*, const nghttp2_frame_hd* hd, void* user_data) {
    if (hd->type != NGHTTP2_HEADERS) return 0;
    H2Connection& h = conn_of(user_data);
    return h.owner->on_headers_frame(h, hd->stream_id);
}

int begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    H2Connection& h = conn_of(user_data);
    return h.owner->on_begin_headers(h, frame->hd.stream_id);
}

int header(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
           const uint8_t* value, size_t valuelen, uint8_t, void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    H2Connection& h = conn_of(user_data);
    H2Stream* s = request_stream(session, h, frame->hd.stream_id);
    if (!s) return 0;  // refused at its start
    return h.owner->on_header(h, *s, {reinterpret_cast<const char*>(name), namelen},
                              {reinterpret_cast<const char*>(value), valuelen});
}

int frame_received(nghttp2_session* session, const nghttp2_frame* frame, void* user_data) {
    H2Connection& h = conn_of(user_data);
    h.block_started_ms = 0;  // any whole frame ends a header block
    if (frame->hd.type == NGHTTP2_RST_STREAM) return h.owner->on_client_reset(h);
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    H2Stream* s = request_stream(session, h, frame->hd.stream_id);
    h.block = nullptr;
    if (!s) return 0;
    return h.owner->on_request(h, *s);
}

int frame_sent(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    H2Connection& h = conn_of(user_data);
    if (frame->hd.type == NGHTTP2_GOAWAY) return h.owner->on_goaway_sent(frame->goaway.error_code);
    if (frame->hd.type == NGHTTP2_RST_STREAM) h.reset_ids[h.resets++ % h.reset_ids.size()] = frame->hd.stream_id;
    return 0;
}

int stream_closed(nghttp2_session* session, int32_t id, uint32_t, void* user_data) {
    H2Connection& h = conn_of(user_data);
    if (id == h.block_stream) h.block_started_ms = 0;  // reset amid its header block
    H2Stream* s = stream_data(session, id);
    if (!s) return 0;
    h.owner->on_stream_close(h, *s);
    return 0;
}

struct CallbacksDeleter {
    void operator()(nghttp2_session_callbacks* p) const { nghttp2_session_callbacks_del(p); }
};
struct OptionDeleter {
    void operator()(nghttp2_option* p) const { nghttp2_option_del(p); }
};

const nghttp2_session_callbacks* callbacks() {
    static const std::unique_ptr<nghttp2_session_callbacks, CallbacksDeleter> cbs = [] {
        nghttp2_session_callbacks* p = nullptr;
        if (nghttp2_session_callbacks_new(&p) != 0) throw std::bad_alloc();
        nghttp2_session_callbacks_set_send_callback(p, send_bytes);
        nghttp2_session_callbacks_set_send_data_callback(p, h2body::send_data);
        nghttp2_session_callbacks_set_on_begin_frame_callback(p, begin_frame);
        nghttp2_session_callbacks_set_on_begin_headers_callback(p, begin_headers);
        nghttp2_session_callbacks_set_on_header_callback(p, header);
        nghttp2_session_callbacks_set_on_frame_recv_callback(p, frame_received);
        nghttp2_session_callbacks_set_on_frame_send_callback(p, frame_sent);
        nghttp2_session_callbacks_set_on_stream_close_callback(p, stream_closed);
        return std::unique_ptr<nghttp2_session_callbacks, CallbacksDeleter>(p);
    }();
    return cbs.get();
}

const nghttp2_option* options() {
    static const std::unique_ptr<nghttp2_option, OptionDeleter> opt = [] {
        nghttp2_option* p = nullptr;
        if (nghttp2_option_new(&p) != 0) throw std::bad_alloc();
        // The known floods (docs/http.md, "HTTP/2"): each ends the connection with a
        // GOAWAY. Rapid reset (CVE-2023-44487): a token bucket of RST_STREAMs;
        // CONTINUATION flood (CVE-2024-27316 class): header blocks of bounded frames;
        // SETTINGS / PING floods: answers queued faster than the peer reads them.
        nghttp2_option_set_stream_reset_rate_limit(p, 1000, 33);
        nghttp2_option_set_max_continuations(p, 8);
        nghttp2_option_set_max_settings(p, 32);
        nghttp2_option_set_max_outbound_ack(p, 1000);
        nghttp2_option_set_no_closed_streams(p, 1);
        return std::unique_ptr<nghttp2_option, OptionDeleter>(p);
    }();
    return opt.get();
}

http::Method method_of(std::string_view m) {
    if (m == "GET") return http::Method::Get;
    if (m == "HEAD") return http::Method::Head;
    if (m == "OPTIONS") return http::Method::Options;
    return http::Method::Other;
}

// nghttp2's allocations, from the worker's BlockPool.
void* pool_malloc(size_t size, void* pool) { return static_cast<BlockPool*>(pool)->allocate(size); }
void pool_free(void* block, void* pool) { static_cast<BlockPool*>(pool)->release(block); }
void* pool_realloc(void* block, size_t size, void* pool) {
    return static_cast<BlockPool*>(pool)->reallocate(block, size);
}
void* pool_calloc(size_t n, size_t size, void* pool) {
    if (size != 0 && n > SIZE_MAX / size) return nullptr;
    void* block = static_cast<BlockPool*>(pool)->allocate(n * size);
    if (block != nullptr) std::memset(block, 0, n * size);
    return block;
}

}  // namespace

void H2ConnectionDeleter::operator()(H2Connection* h) const { std::unique_ptr<H2Connection> owned(h); }

H2Connection::~H2Connection() {
    if (session) nghttp2_session_del(session);
}

Http2Session::Http2Session(WorkerCore& core, Transport& transport, Responder& responder, Telemetry& telemetry)
    : core_(core),
      transport_(transport),
      responder_(responder),
      telemetry_(telemetry) {}

Http2Session::Preface Http2Session::sniff(std::string_view input) {
    const std::size_t n = std::min(input.size(), kPreface.size());
    if (input.substr(0, n) != kPreface.substr(0, n)) return Preface::No;
    return n == kPreface.size() ? Preface::Yes : Preface::Maybe;
}

bool Http2Session::allowed(const Connection& c) const {
    return !core_.is_admin(c) && core_.conf.listen[c.listener].http2 && !core_.conf.listen[c.listener].https_redirect;
}

void Http2Session::start(Connection& c) {
    c.h2.reset(std::make_unique<H2Connection>().release());
    H2Connection& h = *c.h2;
    h.conn = &c;
    h.owner = this;
    h.reset_tokens = kResetBurst;
    h.reset_tokens_ms = core_.now_ms;
    h.pool = pool_;
    nghttp2_mem mem{h.pool.get(), pool_malloc, pool_free, pool_calloc, pool_realloc};  // copied by nghttp2
    if (nghttp2_session_server_new3(&h.session, callbacks(), &h, options(), &mem) != 0) return core_.begin_close(c);
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, kMaxConcurrentStreams},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, core_.conf.limits.header_buffer_size},
        {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},  // RFC 9218 urgencies instead
    };
    nghttp2_submit_settings(h.session, NGHTTP2_FLAG_NONE, settings, std::size(settings));
    ++core_.counters.h2_connections;
    c.state = ConnState::Idle;
    c.in_parsed = 0;
    if (core_.draining) shut_down(c);
    feed(c);
}

// Received bytes, after the transport made them plaintext.
void Http2Session::on_recv(Connection& c, int res, uint32_t flags) {
    if (!(flags & IORING_CQE_F_MORE)) c.recv_armed = false;
    if (res > 0) {
        const auto bid = static_cast<uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
        if (c.state == ConnState::Lingering || c.state == ConnState::Closing)
            return transport_.discard(c, bid, static_cast<uint32_t>(res));
        // The hold list full: frames would be lost, and the stream desynchronised.
        if (!transport_.append_input(c, bid, static_cast<uint32_t>(res))) c.input_failed = true;
        if (c.input_failed) return core_.begin_close(c);
        feed(c);
        if (!c.recv_armed && c.state != ConnState::Closing && c.held_count == 0) transport_.submit_recv(c);
        return;
    }
    if (res == -ENOBUFS) {
        if (c.state != ConnState::Closing) transport_.submit_recv(c);
        return;
    }
    if (res == -ECANCELED) return;
    c.peer_eof = true;
    // A reset ends everything; after an EOF the streams in flight still finish.
    if (res < 0 || c.state == ConnState::Lingering || c.h2->live_streams == 0) return core_.begin_close(c);
}

// Everything in the input area, then whatever the transport held, goes to nghttp2.
void Http2Session::feed(Connection& c) {
    H2Connection& h = *c.h2;
    for (;;) {
        if (c.in_len > 0) {
            const auto* data = reinterpret_cast<const uint8_t*>(c.in);
            const ssize_t r = nghttp2_session_mem_recv(h.session, data, c.in_len);
            c.in_len = 0;
            if (r < 0) {
                spdlog::debug("worker {}: slot {}: HTTP/2: {}", core_.index, c.slot, nghttp2_strerror(int(r)));
                // Control frames answered faster than the client reads, a SETTINGS
                // frame of too many entries, or a header block of endless CONTINUATIONs.
                const bool flood = r == NGHTTP2_ERR_FLOODED || r == NGHTTP2_ERR_TOO_MANY_SETTINGS ||
                                   r == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS;
                if (flood) ++core_.counters.h2_floods;
                nghttp2_session_terminate_session(h.session,
                                                  flood ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR);
                break;
            }
        }
        transport_.take_held_input(c);
        if (c.in_len == 0 || c.input_failed) break;
    }
    if (c.input_failed) return core_.begin_close(c);
    flush(c);
}

// RFC 9113 §5.1.1: a client's new stream id is larger than every one before it;
// a HEADERS frame for a lower id that is not open is a connection error (nghttp2
// forgets closed streams and would ignore it). Trailers for a stream this side
// reset may still be on their way, and are let through to be ignored.
int Http2Session::on_headers_frame(H2Connection& h, int32_t id) {
    if (h.block_started_ms == 0) h.block_started_ms = core_.now_ms;  // header_timeout_ms runs from here
    h.block_stream = id;
    h.block = nullptr;                       // until on_begin_headers gives the block a stream
    if (id <= 0 || (id & 1) == 0) return 0;  // nghttp2 answers those itself
    if (id > h.max_stream_id) {
        h.max_stream_id = id;
        return 0;
    }
    if (nghttp2_session_find_stream(h.session, id) != nullptr) return 0;  // trailers of an open stream
    if (std::find(h.reset_ids.begin(), h.reset_ids.end(), id) != h.reset_ids.end()) return 0;
    nghttp2_session_terminate_session(h.session, NGHTTP2_PROTOCOL_ERROR);
    return 0;
}

int Http2Session::on_begin_headers(H2Connection& h, int32_t id) {
    if (h.free_slots.empty() && h.streams.size() >= kMaxStreamSlots) {
        // Closed streams still hold every slot: their lookups are in flight.
        nghttp2_submit_rst_stream(h.session, NGHTTP2_FLAG_NONE, id, NGHTTP2_REFUSED_STREAM);
        return 0;
    }
    uint16_t slot = 0;
    if (h.free_slots.empty()) {
        slot = static_cast<uint16_t>(h.streams.size());
        h.streams.emplace_back();
    } else {
        slot = h.free_slots.back();
        h.free_slots.pop_back();
    }
    if (!h.streams[slot]) h.streams[slot] = std::make_unique<H2Stream>();
    H2Stream& s = *h.streams[slot];
    s.id = id;
    s.ex.stream_slot = slot;
    ++h.live_streams;
    nghttp2_session_set_stream_user_data(h.session, id, &s);
    h.block = &s;
    return 0;
}

// Fields as they are decoded. The list is bounded as on HTTP/1.1 (header_buffer_size,
// counted as RFC 9113 §6.5.2 does); past it, an HPACK bomb or a flood of
// CONTINUATIONs, the connection ends.
int Http2Session::on_header(H2Connection& h, H2Stream& s, std::string_view name, std::string_view value) {
    s.field_bytes += static_cast<uint32_t>(name.size() + value.size() + 32);
    if (s.field_bytes > core_.conf.limits.header_buffer_size) {
        ++core_.counters.h2_floods;
        nghttp2_session_terminate_session(h.session, NGHTTP2_ENHANCE_YOUR_CALM);
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    s.fields.add(name, value);
    return 0;
}

// The request as the HTTP/1.1 path sees one: pseudo-fields become method, target
// and Host; the rest are its header fields (nghttp2 checked them: RFC 9113 §8.2–8.3).
// A status instead when it cannot be served as sent.
std::optional<http::Status> Http2Session::build_request(H2Stream& s) {
    http::Request& req = s.req;  // every field set here: the slot's last request is still in it
    req.version_major = 2;
    req.version_minor = 0;
    req.method = http::Method::Other;
    req.method_name = req.target = req.host = {};
    req.keep_alive = true;
    req.has_body = req.expect_continue = false;
    req.header_count = 0;
    std::string_view host_field;
    for (std::size_t i = 0; i < s.fields.size(); ++i) {
        const std::string_view name = s.fields.name(i), value = s.fields.value(i);
        if (name.starts_with(':')) {
            if (name == ":method") {
                req.method_name = value;
                req.method = method_of(value);
            } else if (name == ":path") {
                req.target = value;
            } else if (name == ":authority") {
                req.host = value;
            }
            continue;
        }
        if (name == "host") host_field = value;
        if (req.header_count == req.headers.size()) return http::Status::HeaderFieldsTooLarge;  // as HTTP/1.1
        req.headers[req.header_count++] = {name, value};
    }
    // RFC 9113 §8.3.1: Host stands in for a missing :authority; one naming another
    // host than :authority makes the request malformed (which one would route it?).
    if (req.host.empty()) req.host = host_field;
    else if (!host_field.empty() && !http::iequals(host_field, req.host)) return http::Status::BadRequest;
    return std::nullopt;
}

int Http2Session::on_request(H2Connection& h, H2Stream& s) {
    Connection& c = *h.conn;
    ++core_.counters.requests;
    ++core_.counters.h2_streams;
    const std::optional<http::Status> refused = build_request(s);
    Exchange& x = s.ex;
    x.request = &s.req;
    x.h2 = &s.reply;
    x.head_only = s.req.method == http::Method::Head;
    if (core_.ctx.access_log) x.request_us = clock::monotonic_us();
    if (refused) {
        responder_.respond_simple(c, x, *refused);
    } else {
        const std::string_view sni = c.tls ? c.tls->server_name() : std::string_view{};
        const Route route = route_request(core_.ctx, {s.req, sni, false}, x.resolver.target());
        x.site = route.site;
        switch (route.kind) {
        case Route::Kind::Respond: responder_.respond_simple(c, x, route.status); break;
        case Route::Kind::Redirect:
            https_location(core_.ctx, route, x.location);
            responder_.respond_simple(c, x, route.status);
            break;
        case Route::Kind::Serve: responder_.serve(c, x); break;
        }
    }
    if (s.reply.ready) {
        submit_reply(h, s);
    } else {
        s.ops = 1;  // an open or a statx: the Responder waits on exactly one
        ++h.lookups;
    }
    return 0;
}

void Http2Session::submit_reply(H2Connection& h, H2Stream& s) {
    std::vector<nghttp2_nv>& nva = nva_;
    nva.clear();
    // Not copied by nghttp2 (names are lower case already): the fields stay in the
    // stream until it closes, and a HEADERS frame still queued for a closed stream
    // is dropped without its fields being read.
    constexpr uint8_t kNoCopy = NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE;
    const http::H2Fields& fields = s.reply.fields;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        const std::string_view name = fields.name(i), value = fields.value(i);
        nva.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                       reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                       kNoCopy});
    }
    s.body_unread = 0;
    for (const H2Reply::Segment& seg : s.reply.body) s.body_unread += seg.text.size() + seg.len;
    schedule(h, s);
    nghttp2_data_provider body{};
    body.source.ptr = &s;
    body.read_callback = h2body::read_body;
    const int r = nghttp2_submit_response(h.session, s.id, nva.data(), nva.size(), s.body_unread > 0 ? &body : nullptr);
    if (r != 0) nghttp2_submit_rst_stream(h.session, NGHTTP2_FLAG_NONE, s.id, NGHTTP2_INTERNAL_ERROR);
    s.submitted = true;
}

// RFC 9218 urgency as asked (3 by default), but always incremental: streams of one
// urgency share the connection, so a large body cannot hold back small ones. A body
// of one DATA frame at the default urgency holds back nothing, and is left as it is
// (one call and stream lookup fewer on most requests).
void Http2Session::schedule(H2Connection& h, H2Stream& s) {
    const auto urgency = static_cast<uint32_t>(http::priority_urgency(s.req.header("priority").value_or("")));
    if (urgency == NGHTTP2_EXTPRI_DEFAULT_URGENCY && s.body_unread <= h2body::kFramePayload) return;
    const nghttp2_extpri pri{urgency, 1};
    nghttp2_session_change_extpri_stream_priority(h.session, s.id, &pri, 1);
}

// An open or statx a stream asked for. A stream the client reset meanwhile is
// freed now; its open file (if the open succeeded) is closed with it.
void Http2Session::on_lookup(Connection& c, uint16_t slot, Op op, int res) {
    H2Connection& h = *c.h2;
    if (slot >= h.streams.size() || !h.streams[slot] || h.streams[slot]->ops == 0) return;
    H2Stream& s = *h.streams[slot];
    s.ops = 0;
    --h.lookups;
    if (s.closed || c.state == ConnState::Closing) {
        if (op == Op::Open && res >= 0) ::close(res);
        if (s.closed) release(h, s);
        return;
    }
    if (op == Op::Open) responder_.on_open(c, s.ex, res);
    else responder_.on_statx(c, s.ex, res);
    if (!s.reply.ready) {
        s.ops = 1;
        ++h.lookups;
        return;
    }
    submit_reply(h, s);
    flush(c);
}

void Http2Session::on_stream_close(H2Connection& h, H2Stream& s) {
    if (s.submitted) telemetry_.log_access(*h.conn, s.ex);
    if (h.block == &s) h.block = nullptr;  // reset amid its header block
    s.closed = true;
    nghttp2_session_set_stream_user_data(h.session, s.id, nullptr);
    if (s.ops == 0) release(h, s);
}

// The slot is free for the next stream. Its exchange is reset by assignment (which
// returns the file references it held); the request's fields and the reply keep
// their storage, since a connection's streams come and go by the hundred. Past a
// few spare ones the stream itself is freed: an idle connection that once had 128
// streams open keeps kSpareStreams of them, not 128.
void Http2Session::release(H2Connection& h, H2Stream& s) {
    const uint16_t slot = s.ex.stream_slot;
    --h.live_streams;
    h.free_slots.push_back(slot);
    if (h.free_slots.size() > kSpareStreams) {
        h.streams[slot].reset();
        return;
    }
    s.ex = Exchange{};
    s.reply.clear();
    s.fields.clear();
    s.field_bytes = 0;
    s.body_unread = 0;
    s.submitted = s.closed = false;
    s.ops = 0;
    s.id = 0;
}

// Rapid reset (CVE-2023-44487): streams opened and reset in a loop cost a lookup
// each and count against nothing. A token bucket (kResetBurst, refilled at
// kResetsPerSecond) ends such a connection with ENHANCE_YOUR_CALM, before
// nghttp2's own looser bucket would end it with INTERNAL_ERROR.
int Http2Session::on_client_reset(H2Connection& h) {
    const auto elapsed = static_cast<double>(core_.now_ms - h.reset_tokens_ms);
    h.reset_tokens = std::min(kResetBurst, h.reset_tokens + elapsed * kResetsPerSecond / 1000);
    h.reset_tokens_ms = core_.now_ms;
    h.reset_tokens -= 1;
    if (h.reset_tokens < 0) {
        ++core_.counters.h2_floods;
        nghttp2_session_terminate_session(h.session, NGHTTP2_ENHANCE_YOUR_CALM);
    }
    return 0;
}

int Http2Session::on_goaway_sent(uint32_t error_code) {
    switch (error_code) {
    case NGHTTP2_NO_ERROR: ++core_.counters.h2_goaway_no_error; break;
    case NGHTTP2_PROTOCOL_ERROR: ++core_.counters.h2_goaway_protocol; break;
    case NGHTTP2_ENHANCE_YOUR_CALM: ++core_.counters.h2_goaway_calm; break;
    default: ++core_.counters.h2_goaway_other; break;
    }
    return 0;
}

// Frames waiting in nghttp2 go into a registered buffer and out; one send at a time.
void Http2Session::flush(Connection& c) {
    if (c.state != ConnState::Idle) return;  // a send in flight (on_sent flushes), or closing
    H2Connection& h = *c.h2;
    if (nghttp2_session_want_write(h.session)) {
        if (!c.buf && !core_.take_buffer(c, Pending::H2Output)) return;
        h.out = transport_.plain_area(c);
        h.out_len = 0;
        const int r = nghttp2_session_send(h.session);
        h.out = {};
        if (r != 0) {
            h.reads.clear();
            spdlog::debug("worker {}: slot {}: HTTP/2 send: {}", core_.index, c.slot, nghttp2_strerror(r));
            return core_.begin_close(c);
        }
        // A file that shrank after its length was promised: the frames are framed
        // already, so the connection ends (as an HTTP/1.1 one does).
        if (!h2body::read_frames(h.reads)) {
            spdlog::debug("worker {}: slot {}: HTTP/2: a file ended before its length", core_.index, c.slot);
            return core_.begin_close(c);
        }
        if (h.out_len > 0) return transport_.start_send(c, h.out_len);
    }
    after_flush(c);
}

void Http2Session::on_sent(Connection& c) {
    c.state = ConnState::Idle;
    flush(c);
}

// Nothing to send for now: the buffer goes back, and a timer bounds the wait.
void Http2Session::after_flush(Connection& c) {
    H2Connection& h = *c.h2;
    if (h.goaway && end_answered_streams(h)) return flush(c);
    c.buf.reset();
    if (!nghttp2_session_want_read(h.session) && !nghttp2_session_want_write(h.session)) return linger(c);
    if (h.live_streams == 0 && (h.goaway || c.peer_eof)) return c.peer_eof ? core_.begin_close(c) : linger(c);
    // A request head trickled in (a HEADERS frame without its end, CONTINUATIONs
    // that never come): header_timeout_ms bounds it as it bounds an HTTP/1.1 head.
    if (h.block_started_ms != 0) {
        core_.set_timer(c, Timer::Header);
        c.deadline_ms = h.block_started_ms + core_.conf.limits.header_timeout_ms;
        return;
    }
    // A stream whose body waits for the client to open its window is a slow reader:
    // send_timeout bounds it as it bounds an HTTP/1.1 one. The bound runs from the
    // last DATA that left, so other frames (a PING answered now and then) cannot
    // keep a stalled connection alive.
    bool blocked = false;
    for (const auto& s : h.streams) blocked = blocked || (s && s->submitted && !s->closed && s->body_unread > 0);
    if (blocked) {
        if (h.data_sent || h.stalled_since_ms == 0) h.stalled_since_ms = core_.now_ms;
        h.data_sent = false;
        core_.set_timer(c, Timer::Send);
        c.deadline_ms = h.stalled_since_ms + core_.conf.limits.send_timeout_ms;
        return;
    }
    h.stalled_since_ms = 0;
    core_.set_timer(c, h.lookups > 0 ? Timer::None : Timer::KeepAlive);
}

// After GOAWAY, a stream whose whole response is out but whose request the client
// has not ended (no END_STREAM yet) would hold the connection, and a drain, open:
// RST_STREAM(NO_ERROR) ends it (RFC 9113 §8.1). Whether any was reset. (Called
// when nothing is queued, so a RST submitted earlier has been sent already.)
bool Http2Session::end_answered_streams(H2Connection& h) {
    bool any = false;
    for (const auto& s : h.streams) {
        if (!s || s->closed || !s->submitted) continue;
        if (nghttp2_session_get_stream_local_close(h.session, s->id) != 1) continue;
        if (nghttp2_session_get_stream_remote_close(h.session, s->id) != 0) continue;
        nghttp2_submit_rst_stream(h.session, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_NO_ERROR);
        any = true;
    }
    return any;
}

// GOAWAY (RFC 9113 §6.8): the streams begun so far finish, no new one starts.
void Http2Session::shut_down(Connection& c) {
    H2Connection& h = *c.h2;
    if (h.goaway) return;
    h.goaway = true;
    nghttp2_submit_goaway(h.session, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(h.session),
                          NGHTTP2_NO_ERROR, nullptr, 0);
    flush(c);
}

// An idle connection ends with GOAWAY(NO_ERROR), and so does one whose request head
// did not come whole within header_timeout_ms (but at once, its streams with it);
// one whose streams waited past send_timeout on a window the client never opens,
// with ENHANCE_YOUR_CALM. A send
// the client does not read is left to the Worker to cut: no GOAWAY would reach it.
bool Http2Session::on_timer(Connection& c) {
    H2Connection& h = *c.h2;
    if (h.goaway) return false;
    uint32_t error = NGHTTP2_NO_ERROR;
    switch (c.timer) {
    case Timer::KeepAlive: shut_down(c); return true;
    case Timer::Header: break;  // a header block still not whole: the connection ends
    case Timer::Send:
        if (c.state != ConnState::Idle) return false;
        error = NGHTTP2_ENHANCE_YOUR_CALM;
        break;
    default: return false;
    }
    h.goaway = true;
    nghttp2_session_terminate_session(h.session, error);
    flush(c);
    return true;
}

// The last frame is out: FIN, then read and drop until the client closes, so a
// reset cannot destroy the GOAWAY before the client reads it (as HTTP/1.1 lingers).
void Http2Session::linger(Connection& c) {
    if (c.peer_eof) return core_.begin_close(c);
    transport_.linger(c);
}

}  // namespace uringd::server
