#include <uringd/http/framing.hpp>

#include <algorithm>
#include <array>

namespace uringd::http {

namespace {

using Verdict = FramingStep::Verdict;

constexpr std::array<bool, 256> make_tchar() {
    std::array<bool, 256> t{};
    for (int c = '0'; c <= '9'; ++c) t[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
    for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
    return t;
}

// field-vchar / SP / HTAB (RFC 9110 §5.5), obs-text included.
constexpr std::array<bool, 256> make_value_char() {
    std::array<bool, 256> t{};
    t['\t'] = true;
    for (int c = 0x20; c <= 0x7e; ++c) t[c] = true;
    for (int c = 0x80; c <= 0xff; ++c) t[c] = true;
    return t;
}

constexpr auto kTchar = make_tchar();
constexpr auto kValueChar = make_value_char();

unsigned char byte(char c) { return static_cast<unsigned char>(c); }

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

bool is_tchar(char c) { return kTchar[byte(c)]; }

// ---- HeadScanner ----------------------------------------------------------------

void HeadScanner::reset() {
    s_ = start_ == Start::RequestLine ? S::Lead : S::LineStart;
    after_lf_ = S::LineStart;
    version_at_ = 0;
    leading_crlf_ = 0;
    reason_ = "";
}

Verdict HeadScanner::bad(const char* why) {
    s_ = S::Bad;
    reason_ = why;
    return Verdict::Bad;
}

FramingStep HeadScanner::scan(std::string_view bytes) {
    if (s_ == S::Done || s_ == S::Bad) return {s_ == S::Done ? Verdict::Done : Verdict::Bad, 0};
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (s_ == S::Value) {  // the bulk of a head: skip plain value bytes at once
            const auto* end = std::find_if(bytes.data() + i, bytes.data() + bytes.size(),
                                           [](char c) { return !kValueChar[byte(c)]; });
            i = static_cast<std::size_t>(end - bytes.data());
            if (i == bytes.size()) break;
        }
        const Verdict v = step(bytes[i]);
        if (v == Verdict::Done) return {v, i + 1};
        if (v == Verdict::Bad) return {v, i};
    }
    return {Verdict::NeedMore, bytes.size()};
}

Verdict HeadScanner::step(char c) {
    static constexpr std::string_view kHttp = "HTTP/";
    switch (s_) {
    case S::Lead:
        // RFC 9112 §2.2: empty lines before the request-line are ignored.
        if (c == '\r' && leading_crlf_ < 8) {
            ++leading_crlf_;
            s_ = S::LeadLf;
            return Verdict::NeedMore;
        }
        if (!is_tchar(c)) return bad("malformed request line");
        s_ = S::Method;
        return Verdict::NeedMore;
    case S::LeadLf:
        if (c != '\n') return bad("bare CR");
        s_ = S::Lead;
        return Verdict::NeedMore;
    case S::Method:
        if (c == ' ') {
            s_ = S::Target;
            version_at_ = 0;  // doubles as "target is empty" until the first byte
            return Verdict::NeedMore;
        }
        return is_tchar(c) ? Verdict::NeedMore : bad("malformed method");
    case S::Target:
        if (c == ' ' && version_at_ == 1) {
            s_ = S::Version;
            version_at_ = 0;
            return Verdict::NeedMore;
        }
        // Visible ASCII and obs-text (raw UTF-8 from clients that do not encode);
        // no whitespace or control characters inside the target (§3.2).
        if (byte(c) <= 0x20 || byte(c) == 0x7f) return bad(c == '\r' ? "bare CR" : "malformed request target");
        version_at_ = 1;
        return Verdict::NeedMore;
    case S::Version: {
        const uint8_t at = version_at_++;
        bool ok = false;
        if (at < kHttp.size()) ok = c == kHttp[at];
        else if (at == 5 || at == 7) ok = c >= '0' && c <= '9';
        else if (at == 6) ok = c == '.';
        else if (at == 8 && c == '\r') {
            s_ = S::Lf;
            after_lf_ = S::LineStart;
            return Verdict::NeedMore;
        }
        return ok ? Verdict::NeedMore
                  : bad(c == '\r' || c == '\n' ? "malformed request line" : "malformed HTTP version");
    }
    case S::Lf:
        if (c != '\n') return bad("bare CR");
        s_ = after_lf_;
        return Verdict::NeedMore;
    case S::LineStart:
        if (c == '\r') {
            s_ = S::LastLf;
            return Verdict::NeedMore;
        }
        if (is_tchar(c)) {
            s_ = S::Name;
            return Verdict::NeedMore;
        }
        if (c == ' ' || c == '\t') return bad("obs-fold (a field line starting with whitespace)");
        if (c == '\n') return bad("bare LF");
        return bad(c == ':' ? "empty field name" : "invalid character in field name");
    case S::Name:
        if (c == ':') {
            s_ = S::Value;
            return Verdict::NeedMore;
        }
        if (is_tchar(c)) return Verdict::NeedMore;
        // RFC 9112 §5.1: no whitespace between a field name and the colon.
        if (c == ' ' || c == '\t') return bad("whitespace between field name and colon");
        return bad(c == '\r' ? "field line without a colon" : "invalid character in field name");
    case S::Value:
        if (kValueChar[byte(c)]) return Verdict::NeedMore;
        if (c == '\r') {
            s_ = S::Lf;
            after_lf_ = S::LineStart;
            return Verdict::NeedMore;
        }
        return bad(c == '\n' ? "bare LF" : "control character in field value");
    case S::LastLf:
        if (c != '\n') return bad("bare CR");
        s_ = S::Done;
        return Verdict::Done;
    case S::Done: return Verdict::Done;
    case S::Bad: return Verdict::Bad;
    }
    return Verdict::Bad;
}

// ---- ChunkedScanner -------------------------------------------------------------

void ChunkedScanner::reset() {
    s_ = S::Size;
    size_ = left_ = data_total_ = 0;
    line_ = trailer_bytes_ = 0;
    digits_ = 0;
    trailers_.reset();
    error_ = Error::None;
    reason_ = "";
}

Verdict ChunkedScanner::bad(const char* why, Error e) {
    s_ = S::Bad;
    error_ = e;
    reason_ = why;
    return Verdict::Bad;
}

FramingStep ChunkedScanner::scan(std::string_view bytes) {
    if (s_ == S::Done || s_ == S::Bad) return {s_ == S::Done ? Verdict::Done : Verdict::Bad, 0};
    std::size_t i = 0;
    while (i < bytes.size()) {
        if (s_ == S::Data) {  // chunk data is skipped whole
            const auto n = static_cast<std::size_t>(std::min<uint64_t>(left_, bytes.size() - i));
            left_ -= n;
            i += n;
            if (left_ == 0) s_ = S::DataCr;
            continue;
        }
        if (s_ == S::Trailers) {
            const FramingStep t = trailers_.scan(bytes.substr(i));
            trailer_bytes_ += static_cast<uint32_t>(std::min<std::size_t>(t.used, limits_.max_trailers + 1));
            if (trailer_bytes_ > limits_.max_trailers) return {bad("trailer section too large"), i};
            if (t.verdict == Verdict::Bad) return {bad(trailers_.reason()), i + t.used};
            if (t.verdict == Verdict::Done) {
                s_ = S::Done;
                return {Verdict::Done, i + t.used};
            }
            return {Verdict::NeedMore, bytes.size()};
        }
        const Verdict v = on_byte(bytes[i]);
        if (v == Verdict::Bad) return {v, i};
        ++i;
    }
    return {Verdict::NeedMore, bytes.size()};
}

Verdict ChunkedScanner::on_byte(char c) {
    if ((s_ == S::Size || s_ == S::ExtBws || s_ == S::Ext || s_ == S::ExtQuoted || s_ == S::ExtEscape) &&
        ++line_ > limits_.max_line)
        return bad("chunk extension too long");
    switch (s_) {
    case S::Size: {
        const int d = hex_digit(c);
        if (d >= 0) {
            if (++digits_ > 16) return bad("chunk size too large");
            size_ = size_ * 16 + static_cast<uint64_t>(d);
            return Verdict::NeedMore;
        }
        if (digits_ == 0) return bad("malformed chunk size");
        if (c == '\r') return line_end();
        // chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ): whitespace after
        // the size only before a ';'; after that, checked as a character class
        // (tokens, separators, quoted strings), its meaning ignored.
        if (c == ';') {
            s_ = S::Ext;
            return Verdict::NeedMore;
        }
        if (c == ' ' || c == '\t') {
            s_ = S::ExtBws;
            return Verdict::NeedMore;
        }
        return bad("malformed chunk size");
    }
    case S::ExtBws:
        if (c == ';') {
            s_ = S::Ext;
            return Verdict::NeedMore;
        }
        if (c == ' ' || c == '\t') return Verdict::NeedMore;
        return bad(c == '\r' ? "whitespace after a chunk size without an extension" : "malformed chunk size");
    case S::Ext:
        if (c == '\r') return line_end();
        if (c == '"') {
            s_ = S::ExtQuoted;
            return Verdict::NeedMore;
        }
        if (is_tchar(c) || c == ';' || c == '=' || c == ' ' || c == '\t') return Verdict::NeedMore;
        return bad(c == '\n' ? "bare LF in chunk extension" : "invalid character in chunk extension");
    case S::ExtQuoted:
        if (c == '"') s_ = S::Ext;
        else if (c == '\\') s_ = S::ExtEscape;
        else if (!kValueChar[byte(c)])
            return bad(c == '\r' ? "bare CR in chunk extension" : "invalid character in chunk extension");
        return Verdict::NeedMore;
    case S::ExtEscape:
        if (!kValueChar[byte(c)])
            return bad(c == '\r' ? "bare CR in chunk extension" : "invalid character in chunk extension");
        s_ = S::ExtQuoted;
        return Verdict::NeedMore;
    case S::SizeLf:
        if (c != '\n') return bad("bare CR in chunk line");
        line_ = 0;
        digits_ = 0;
        if (size_ == 0) {
            s_ = S::Trailers;
            trailers_.reset();
            return Verdict::NeedMore;
        }
        left_ = size_;
        size_ = 0;
        s_ = S::Data;
        return Verdict::NeedMore;
    case S::DataCr:
        if (c != '\r') return bad("chunk data not followed by CRLF");
        s_ = S::DataLf;
        return Verdict::NeedMore;
    case S::DataLf:
        if (c != '\n') return bad("bare CR after chunk data");
        s_ = S::Size;
        return Verdict::NeedMore;
    case S::Data:
    case S::Trailers:
    case S::Done:
    case S::Bad: break;
    }
    return bad("chunked scanner state");
}

// The CR of a chunk-size line: the size is known; its LF must follow.
Verdict ChunkedScanner::line_end() {
    if (size_ > limits_.max_data - data_total_) return bad("request body too large", Error::TooLarge);
    data_total_ += size_;
    s_ = S::SizeLf;
    return Verdict::NeedMore;
}

}  // namespace uringd::http
