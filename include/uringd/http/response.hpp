#pragma once
// The one place response heads are written. Pure: formats into a caller buffer.
#include <uringd/http/status.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace uringd::http {

struct ResponseHead {
    Status status = Status::Ok;
    std::string_view date;  // Date value (DateCache)
    std::string_view server = "uringd";
    std::string_view content_type;  // omitted when empty
    uint64_t content_length = 0;
    std::string_view last_modified;     // omitted when empty
    std::string_view etag;              // omitted when empty (already quoted)
    std::string_view location;          // omitted when empty
    std::string_view allow;             // omitted when empty
    std::string_view content_range;     // omitted when empty
    bool accept_ranges = false;         // "Accept-Ranges: bytes"
    std::string_view cache_control;     // omitted when empty
    std::string_view content_encoding;  // omitted when empty
    std::string_view vary;              // omitted when empty
    std::string_view extra;             // whole header lines ("Name: value\r\n"…), written as they are
    bool keep_alive = true;             // false adds "Connection: close"
    bool http10_keep_alive = false;     // HTTP/1.0 client asked for keep-alive
};

// Writes status line + headers + blank line. Returns the bytes written, or 0 when
// `out` is too small (nothing useful is left in it then).
std::size_t write_head(const ResponseHead& head, std::span<char> out);

// The small HTML body sent with error statuses (and its length for the head); a
// `detail`, when given, is one sentence of plain text under the heading.
std::size_t error_body_size(Status s, std::string_view detail = {});
std::string error_body(Status s, std::string_view detail = {});
// Writes head (content_length/content_type set here) and body. Returns bytes or 0.
// `head_only` (HEAD requests) writes the head with the body's length but no body.
std::size_t write_error_response(ResponseHead head, bool head_only, std::span<char> out, std::string_view detail = {});

}  // namespace uringd::http
