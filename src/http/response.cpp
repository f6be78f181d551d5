#include <uringd/http/response.hpp>

#include <fmt/format.h>

#include <cstring>

namespace uringd::http {

namespace {

// Appends to a fixed buffer; remembers overflow instead of writing past the end.
// Heads are put together from pieces (text, number): a format string parsed for
// every header line was about a third of the server's own CPU on 1 KiB responses.
class Writer {
public:
    explicit Writer(std::span<char> out) : out_(out) {}

    void text(std::string_view s) {
        if (s.empty()) return;  // its data() may be null, which memcpy must not see
        if (overflow_ || s.size() > out_.size() - used_) {
            overflow_ = true;
            return;
        }
        std::memcpy(out_.data() + used_, s.data(), s.size());
        used_ += s.size();
    }
    void number(uint64_t n) {
        const fmt::format_int digits(n);
        text({digits.data(), digits.size()});
    }
    void header(std::string_view name, std::string_view value) {
        if (value.empty()) return;
        text(name);
        text(": ");
        text(value);
        text("\r\n");
    }
    template <typename... Args>
    void put(fmt::format_string<Args...> f, Args&&... args) {
        if (overflow_) return;
        const auto room = out_.size() - used_;
        const auto r = fmt::format_to_n(out_.data() + used_, room, f, std::forward<Args>(args)...);
        if (r.size > room) overflow_ = true;
        else used_ += r.size;
    }
    std::size_t size() const { return overflow_ ? 0 : used_; }

private:
    std::span<char> out_;
    std::size_t used_ = 0;
    bool overflow_ = false;
};

constexpr fmt::string_view kErrorPage =
    "<html><head><title>{0} {1}</title></head><body><h1>{0} {1}</h1></body></html>\n";

constexpr fmt::string_view kErrorPageWithDetail =
    "<html><head><title>{0} {1}</title></head><body><h1>{0} {1}</h1><p>{2}</p></body></html>\n";

void write_error_body(Writer& w, Status s, std::string_view detail) {
    if (detail.empty()) w.put(fmt::runtime(kErrorPage), code(s), reason_phrase(s));
    else w.put(fmt::runtime(kErrorPageWithDetail), code(s), reason_phrase(s), detail);
}

}  // namespace

std::size_t write_head(const ResponseHead& h, std::span<char> out) {
    Writer w(out);
    w.text("HTTP/1.1 ");
    w.number(code(h.status));
    w.text(" ");
    w.text(reason_phrase(h.status));
    w.text("\r\n");
    w.header("Server", h.server);
    w.header("Date", h.date);
    w.header("Content-Type", h.content_type);
    // RFC 9110 §8.6: no Content-Length in 304 responses (we send none there).
    if (h.status != Status::NotModified && h.status != Status::NoContent) {
        w.text("Content-Length: ");
        w.number(h.content_length);
        w.text("\r\n");
    }
    w.header("Last-Modified", h.last_modified);
    w.header("ETag", h.etag);
    w.header("Location", h.location);
    w.header("Allow", h.allow);
    w.header("Content-Range", h.content_range);
    if (h.accept_ranges) w.text("Accept-Ranges: bytes\r\n");
    w.header("Content-Encoding", h.content_encoding);
    w.header("Vary", h.vary);
    w.header("Cache-Control", h.cache_control);
    w.text(h.extra);
    if (!h.keep_alive) w.text("Connection: close\r\n");
    else if (h.http10_keep_alive) w.text("Connection: keep-alive\r\n");
    w.text("\r\n");
    return w.size();
}

std::string error_body(Status s, std::string_view detail) {
    if (detail.empty()) return fmt::format(fmt::runtime(kErrorPage), code(s), reason_phrase(s));
    return fmt::format(fmt::runtime(kErrorPageWithDetail), code(s), reason_phrase(s), detail);
}

std::size_t error_body_size(Status s, std::string_view detail) {
    if (detail.empty()) return fmt::formatted_size(fmt::runtime(kErrorPage), code(s), reason_phrase(s));
    return fmt::formatted_size(fmt::runtime(kErrorPageWithDetail), code(s), reason_phrase(s), detail);
}

std::size_t write_error_response(ResponseHead head, bool head_only, std::span<char> out, std::string_view detail) {
    head.content_type = "text/html; charset=utf-8";
    head.content_length = error_body_size(head.status, detail);
    const std::size_t n = write_head(head, out);
    if (n == 0 || head_only) return n;
    Writer w(out.subspan(n));
    write_error_body(w, head.status, detail);
    return w.size() == 0 ? 0 : n + w.size();
}

}  // namespace uringd::http
