#include <uringd/http/parser.hpp>

#include <algorithm>

namespace uringd::http {

std::string_view trim_ows(std::string_view s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

std::optional<std::string_view> Request::header(std::string_view name) const {
    for (std::size_t i = 0; i < header_count; ++i)
        if (iequals(headers[i].name, name)) return headers[i].value;
    return std::nullopt;
}

namespace {

Method to_method(uint8_t m) {
    switch (m) {
    case HTTP_GET: return Method::Get;
    case HTTP_HEAD: return Method::Head;
    case HTTP_OPTIONS: return Method::Options;
    default: return Method::Other;
    }
}

}  // namespace

const llhttp_settings_t& RequestParser::settings() {
    static const llhttp_settings_t s = [] {
        llhttp_settings_t v;
        llhttp_settings_init(&v);
        v.on_message_begin = &on_message_begin;
        v.on_url = &on_url;
        v.on_url_complete = &on_url_complete;
        v.on_header_field = &on_header_field;
        v.on_header_value = &on_header_value;
        v.on_header_value_complete = &on_header_value_complete;
        v.on_headers_complete = &on_headers_complete;
        v.on_body = &on_body;
        v.on_message_complete = &on_message_complete;
        return v;
    }();
    return s;
}

RequestParser::RequestParser(ParserLimits limits)
    : limits_(limits),
      chunked_(ChunkedScanner::Limits{.max_data = limits.max_body}) {
    start_llhttp();
}

// The version's syntax (HTTP/d.d) is the head scanner's; which versions are served
// is check_headers' (505 for another major version). llhttp 8 alone would answer 400
// for any version it does not know, HTTP/1.2 included (it has no setter for this
// flag yet).
void RequestParser::start_llhttp() {
    llhttp_init(&parser_, HTTP_REQUEST, &settings());
    parser_.data = this;
    parser_.lenient_flags |= LENIENT_VERSION;
}

RequestParser::Result RequestParser::feed(std::string_view bytes) {
    switch (phase_) {
    case Phase::Head: return feed_head(bytes);
    case Phase::LengthBody: return feed_llhttp(bytes, 0);
    case Phase::Chunked: return feed_chunked(bytes, 0);
    case Phase::Done: break;
    }
    return {State::Complete, 0};
}

// The head goes to llhttp only as far as the strict scan has accepted it.
RequestParser::Result RequestParser::feed_head(std::string_view bytes) {
    const FramingStep scan = head_.scan(bytes);
    if (scan.verdict == FramingStep::Verdict::Bad) {
        started_ = true;
        return framing_error(Status::BadRequest, head_.reason(), scan.used);
    }
    const Result r = feed_llhttp(bytes.substr(0, scan.used), 0);
    if (scan.verdict == FramingStep::Verdict::NeedMore || r.state == State::Error) return r;
    const std::string_view rest = bytes.substr(scan.used);
    if (r.state == State::NeedMore) {  // a Content-Length body, counted by llhttp
        phase_ = Phase::LengthBody;
        return feed_llhttp(rest, scan.used);
    }
    if (!chunked_body_) return r;  // no body, or one never read (Expect: 100-continue)
    phase_ = Phase::Chunked;
    started_ = true;
    return feed_chunked(rest, scan.used);
}

RequestParser::Result RequestParser::feed_llhttp(std::string_view bytes, std::size_t offset) {
    const llhttp_errno_t err = llhttp_execute(&parser_, bytes.data(), bytes.size());
    if (err == HPE_OK) return {State::NeedMore, offset + bytes.size()};
    const char* pos = llhttp_get_error_pos(&parser_);
    const std::size_t consumed = offset + (pos ? static_cast<std::size_t>(pos - bytes.data()) : bytes.size());
    if (err == HPE_PAUSED) {
        if (!chunked_body_) phase_ = Phase::Done;
        return {State::Complete, consumed};
    }
    if (!user_error_) {
        // llhttp's own verdicts: method, version, smuggling (CL+TE, duplicate CL).
        error_ = Status::BadRequest;
        reason_ = llhttp_get_error_reason(&parser_);
    }
    return {State::Error, consumed};
}

RequestParser::Result RequestParser::feed_chunked(std::string_view bytes, std::size_t offset) {
    const FramingStep scan = chunked_.scan(bytes);
    switch (scan.verdict) {
    case FramingStep::Verdict::NeedMore: return {State::NeedMore, offset + bytes.size()};
    case FramingStep::Verdict::Bad:
        return framing_error(
            chunked_.error() == ChunkedScanner::Error::TooLarge ? Status::ContentTooLarge : Status::BadRequest,
            chunked_.reason(), offset + scan.used);
    case FramingStep::Verdict::Done: break;
    }
    phase_ = Phase::Done;
    started_ = false;
    return {State::Complete, offset + scan.used};
}

RequestParser::Result RequestParser::framing_error(Status s, const char* reason, std::size_t consumed) {
    fail(s, reason);
    return {State::Error, consumed};
}

void RequestParser::next_request() {
    req_ = Request{};
    field_ = value_ = {};
    retained_end_ = nullptr;
    body_seen_ = 0;
    started_ = url_done_ = host_seen_twice_ = te_seen_ = headers_done_ = user_error_ = chunked_body_ = false;
    phase_ = Phase::Head;
    head_.reset();
    chunked_.reset();
    if (llhttp_get_errno(&parser_) == HPE_PAUSED) llhttp_resume(&parser_);
}

void RequestParser::reset() {
    next_request();
    start_llhttp();
    user_error_ = false;
}

int RequestParser::fail(Status s, std::string_view reason) {
    // llhttp reports a callback's refusal under per-callback codes; remember ours.
    user_error_ = true;
    error_ = s;
    reason_ = reason;
    return HPE_USER;
}

void RequestParser::extend(std::string_view& v, const char* at, std::size_t len) {
    // Pieces of one token arrive in order from one contiguous region (see header).
    v = v.empty() ? std::string_view(at, len)
                  : std::string_view(v.data(), static_cast<std::size_t>(at + len - v.data()));
    retained_end_ = std::max(retained_end_, at + len);
}

int RequestParser::on_message_begin(llhttp_t* p) {
    self(p).started_ = true;
    return 0;
}

int RequestParser::on_url(llhttp_t* p, const char* at, std::size_t len) {
    auto& s = self(p);
    s.extend(s.req_.target, at, len);
    if (s.req_.target.size() > s.limits_.max_uri) return s.fail(Status::UriTooLong, "URI too long");
    return 0;
}

int RequestParser::on_url_complete(llhttp_t* p) {
    self(p).url_done_ = true;
    return 0;
}

int RequestParser::on_header_field(llhttp_t* p, const char* at, std::size_t len) {
    auto& s = self(p);
    s.extend(s.field_, at, len);
    return 0;
}

int RequestParser::on_header_value(llhttp_t* p, const char* at, std::size_t len) {
    auto& s = self(p);
    s.extend(s.value_, at, len);
    return 0;
}

int RequestParser::on_header_value_complete(llhttp_t* p) {
    auto& s = self(p);
    auto& r = s.req_;
    if (r.header_count == kMaxHeaders) return s.fail(Status::HeaderFieldsTooLarge, "too many header fields");
    const std::string_view value = trim_ows(s.value_);
    r.headers[r.header_count++] = Header{s.field_, value};
    if (iequals(s.field_, "host")) {
        if (!r.host.data()) r.host = value.data() ? value : std::string_view("");  // present, even if empty
        else s.host_seen_twice_ = true;
    } else if (iequals(s.field_, "transfer-encoding")) {
        s.te_seen_ = true;  // checked as a whole list at the end of the head
    }
    s.field_ = s.value_ = {};
    return 0;
}

int RequestParser::check_headers() {
    auto& r = req_;
    r.method = to_method(parser_.method);
    r.method_name = llhttp_method_name(static_cast<llhttp_method_t>(parser_.method));
    r.version_major = parser_.http_major;  // as sent, for the access log of a 505
    r.version_minor = parser_.http_minor;
    // RFC 9110 §15.6.6 and §6.2: another major version is not supported; a later
    // HTTP/1 minor version is read as the highest this server speaks (1.1).
    if (r.version_major != 1) return fail(Status::VersionNotSupported, "HTTP version not supported");
    r.version_minor = std::min<uint8_t>(r.version_minor, 1);
    if (host_seen_twice_) return fail(Status::BadRequest, "more than one Host header");
    if (r.version_minor >= 1 && !r.host.data()) return fail(Status::BadRequest, "missing Host header");
    if (const int te = check_transfer_encoding(); te != 0) return te;
    r.keep_alive = llhttp_should_keep_alive(&parser_) != 0;
    const bool chunked = (parser_.flags & F_CHUNKED) != 0;
    r.has_body = chunked || ((parser_.flags & F_CONTENT_LENGTH) && parser_.content_length > 0);
    if ((parser_.flags & F_CONTENT_LENGTH) && parser_.content_length > limits_.max_body)
        return fail(Status::ContentTooLarge, "request body too large");
    if (const auto expect = r.header("Expect")) {
        // RFC 9110 §10.1.1: the only expectation defined; 417 for any other.
        if (!iequals(*expect, "100-continue")) return fail(Status::ExpectationFailed, "unsupported expectation");
        r.expect_continue = r.has_body && r.version_minor >= 1;
    }
    return 0;
}

// RFC 9112 §6.1 and §6.3: chunked must be the final coding, once; an HTTP/1.0
// request with Transfer-Encoding has faulty framing; other codings are not ours.
int RequestParser::check_transfer_encoding() {
    if (!te_seen_) return 0;  // the common case: no second pass over the fields
    bool present = false, chunked_last = false, other = false;
    int chunked = 0;
    for (std::size_t i = 0; i < req_.header_count; ++i) {
        if (!iequals(req_.headers[i].name, "transfer-encoding")) continue;
        present = true;
        std::string_view list = req_.headers[i].value;
        while (true) {  // every element counts, an empty one as an unknown coding
            const std::size_t comma = list.find(',');
            chunked_last = iequals(trim_ows(list.substr(0, comma)), "chunked");
            chunked += chunked_last ? 1 : 0;
            other = other || !chunked_last;
            if (comma == std::string_view::npos) break;
            list.remove_prefix(comma + 1);
        }
    }
    if (!present) return 0;
    if (req_.version_minor == 0) return fail(Status::BadRequest, "Transfer-Encoding in an HTTP/1.0 request");
    if (!chunked_last || chunked != 1) return fail(Status::BadRequest, "chunked is not the final transfer coding");
    if (other) return fail(Status::NotImplemented, "unsupported transfer coding");
    // llhttp must have read the same framing, or the two could disagree on the length.
    if (!(parser_.flags & F_CHUNKED)) return fail(Status::BadRequest, "transfer coding framing");
    return 0;
}

int RequestParser::on_headers_complete(llhttp_t* p) {
    auto& s = self(p);
    s.headers_done_ = true;
    // No protocol switch is ever granted (Upgrade, CONNECT): the bytes after this
    // message are the next request, not another protocol llhttp would stop for.
    s.parser_.upgrade = 0;
    if (const int r = s.check_headers(); r != 0) return r;
    if (!s.req_.expect_continue) {
        if (!(s.parser_.flags & F_CHUNKED)) return 0;
        // llhttp skips the body (1 = no body); ChunkedScanner checks and discards it.
        s.chunked_body_ = true;
        return 1;
    }
    // The client waits for 100 before sending the body; a static server's answer
    // never depends on it, so the final response goes at once (§10.1.1) and the
    // connection closes after it instead of reading a body nobody needs.
    s.started_ = false;
    return HPE_PAUSED;
}

int RequestParser::on_body(llhttp_t* p, const char*, std::size_t len) {
    auto& s = self(p);
    s.body_seen_ += len;
    if (s.body_seen_ > s.limits_.max_body) return s.fail(Status::ContentTooLarge, "request body too large");
    return 0;
}

int RequestParser::on_message_complete(llhttp_t* p) {
    // Stop here so the caller answers this request before parsing the next.
    self(p).started_ = false;
    return HPE_PAUSED;
}

}  // namespace uringd::http
