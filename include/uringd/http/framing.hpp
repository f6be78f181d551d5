#pragma once
// Strict RFC 9112 framing, checked byte by byte as the bytes arrive, before llhttp
// sees them (llhttp is built in its loose mode, which accepts obs-text in targets but
// also skips the byte after a CR in chunk framing, whitespace before a colon and
// obs-fold; docs/http.md "Framing" lists every rule). Pure: bytes in, verdicts out.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace uringd::http {

// What one scan step found. `used`: bytes of the input taken; on Done, the byte
// after the head's final LF; on Bad, the offending byte's offset.
struct FramingStep {
    enum class Verdict : uint8_t { NeedMore, Done, Bad };
    Verdict verdict;
    std::size_t used;
};

// A request head (request-line, field lines, empty line), or a trailer section.
// Every line ends in CRLF: a bare CR or a bare LF is malformed, as are whitespace
// before a colon, obs-fold, an empty or non-token field name, a control character
// in a value, and a request-line that is not `token SP target SP HTTP/d.d`.
class HeadScanner {
public:
    enum class Start : uint8_t { RequestLine, Fields };
    explicit HeadScanner(Start start = Start::RequestLine) : start_(start) { reset(); }

    FramingStep scan(std::string_view bytes);
    void reset();
    const char* reason() const { return reason_; }

private:
    enum class S : uint8_t { Lead, LeadLf, Method, Target, Version, Lf, LineStart, Name, Value, LastLf, Done, Bad };
    FramingStep::Verdict step(char c);
    FramingStep::Verdict bad(const char* why);

    Start start_;
    S s_ = S::Method;
    S after_lf_ = S::LineStart;  // where a CRLF leads
    uint8_t version_at_ = 0;     // position in "HTTP/d.d"
    uint8_t leading_crlf_ = 0;
    const char* reason_ = "";
};

struct ChunkedLimits {
    uint64_t max_data = 64 * 1024;  // total chunk data (413 beyond)
    uint32_t max_line = 4096;       // one chunk-size line with its extensions
    uint32_t max_trailers = 8192;   // the whole trailer section
};

// A chunked request body (RFC 9112 §7.1), discarded: only its framing is checked and
// its data counted. Chunk lines are `1*HEXDIG [chunk-ext] CRLF`, data is followed by
// CRLF, the trailer section is checked like a head's fields.
class ChunkedScanner {
public:
    enum class Error : uint8_t { None, Malformed, TooLarge };
    using Limits = ChunkedLimits;

    explicit ChunkedScanner(Limits limits = {}) : limits_(limits) {}
    FramingStep scan(std::string_view bytes);
    void reset();
    Error error() const { return error_; }
    const char* reason() const { return reason_; }
    uint64_t data_bytes() const { return data_total_; }

private:
    enum class S : uint8_t {
        Size,
        ExtBws,
        Ext,
        ExtQuoted,
        ExtEscape,
        SizeLf,
        Data,
        DataCr,
        DataLf,
        Trailers,
        Done,
        Bad
    };
    FramingStep::Verdict on_byte(char c);
    FramingStep::Verdict line_end();
    FramingStep::Verdict bad(const char* why, Error e = Error::Malformed);

    Limits limits_;
    S s_ = S::Size;
    uint64_t size_ = 0;  // of the chunk being read
    uint64_t left_ = 0;  // data bytes of it still to come
    uint64_t data_total_ = 0;
    uint32_t line_ = 0;  // bytes of the current chunk-size line
    uint32_t trailer_bytes_ = 0;
    uint8_t digits_ = 0;
    HeadScanner trailers_{HeadScanner::Start::Fields};
    Error error_ = Error::None;
    const char* reason_ = "";
};

// RFC 9110 §5.6.2 tchar.
bool is_tchar(char c);

}  // namespace uringd::http
