#pragma once
// Incremental HTTP/1.1 request parser. Feed bytes as they arrive; it stops after each
// complete request so pipelined requests are answered in order. The framing (head
// lines, chunked bodies) is checked strictly by http/framing.hpp; llhttp parses the
// checked head and counts Content-Length bodies.
// Contract: all bytes of one request must be fed from one contiguous, stable region
// (appending is fine); views in request() point into it until next_request().
#include <uringd/http/framing.hpp>
#include <uringd/http/request.hpp>
#include <uringd/http/status.hpp>

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace uringd::http {

struct ParserLimits {
    std::size_t max_uri = 8192;
    uint64_t max_body = 64 * 1024;  // bodies are read and discarded up to this size
};

class RequestParser {
public:
    enum class State : uint8_t { NeedMore, Complete, Error };
    struct Result {
        State state;
        std::size_t consumed;  // bytes of the input taken by the parser
    };

    explicit RequestParser(ParserLimits limits = {});
    RequestParser(const RequestParser&) = delete;
    RequestParser& operator=(const RequestParser&) = delete;

    Result feed(std::string_view bytes);
    // Start the next request after a Complete result (the connection stays open).
    void next_request();
    // Back to the initial state for a new connection (llhttp refuses data after a
    // "Connection: close" message, so a reused parser must start over).
    void reset();
    // Peer closed the stream: a request cut in the middle becomes an error.
    bool at_message_boundary() const { return !started_; }

    const Request& request() const { return req_; }
    // Valid after State::Error: the status to answer with (connection then closes).
    Status error_status() const { return error_; }
    std::string_view error_reason() const { return reason_; }
    // True once the request line's target is complete (for 414 vs 431 on overflow).
    bool target_complete() const { return url_done_; }
    // True once the head is parsed and a body (if any) is being read and discarded.
    bool in_body() const { return headers_done_; }
    // The body is chunked and being checked and discarded (not by llhttp).
    bool in_chunked_body() const { return phase_ == Phase::Chunked; }
    // One past the last byte any view in request() refers to; bytes fed after it
    // (a body being discarded) may be dropped by the caller.
    const char* retained_end() const { return retained_end_; }

private:
    enum class Phase : uint8_t { Head, LengthBody, Chunked, Done };
    Result feed_head(std::string_view bytes);
    Result feed_llhttp(std::string_view bytes, std::size_t offset);
    Result feed_chunked(std::string_view bytes, std::size_t offset);
    Result framing_error(Status s, const char* reason, std::size_t consumed);
    int check_transfer_encoding();

    void start_llhttp();
    static int on_message_begin(llhttp_t*);
    static int on_url(llhttp_t*, const char*, std::size_t);
    static int on_url_complete(llhttp_t*);
    static int on_header_field(llhttp_t*, const char*, std::size_t);
    static int on_header_value(llhttp_t*, const char*, std::size_t);
    static int on_header_value_complete(llhttp_t*);
    static int on_headers_complete(llhttp_t*);
    static int on_body(llhttp_t*, const char*, std::size_t);
    static int on_message_complete(llhttp_t*);
    static RequestParser& self(llhttp_t* p) { return *static_cast<RequestParser*>(p->data); }

    int fail(Status s, std::string_view reason);
    int check_headers();
    void extend(std::string_view& v, const char* at, std::size_t len);

    static const llhttp_settings_t& settings();

    llhttp_t parser_{};
    ParserLimits limits_;
    HeadScanner head_;
    ChunkedScanner chunked_;
    Phase phase_ = Phase::Head;
    bool chunked_body_ = false;  // decided at the end of the head: the body is ours to check
    Request req_;
    std::string_view field_;
    std::string_view value_;
    const char* retained_end_ = nullptr;
    uint64_t body_seen_ = 0;
    Status error_ = Status::BadRequest;
    std::string_view reason_;
    bool started_ = false;
    bool url_done_ = false;
    bool host_seen_twice_ = false;
    bool te_seen_ = false;
    bool headers_done_ = false;
    bool user_error_ = false;
};

}  // namespace uringd::http
