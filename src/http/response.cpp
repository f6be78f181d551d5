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

// {2}{3}{4}: a detail's paragraph, or nothing.
constexpr fmt::string_view kErrorPage =
    "<html><head><title>{0} {1}</title></head><body><h1>{0} {1}</h1>{2}{3}{4}</body></html>\n";

// Calls `f` with the error page's format and arguments (one place for both).
template <typename F>
auto with_error_page(Status s, std::string_view detail, F&& f) {
    const bool p = !detail.empty();
    return f(fmt::runtime(kErrorPage), code(s), reason_phrase(s), p ? "<p>" : "", detail, p ? "</p>" : "");
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
    return with_error_page(s, detail, [](auto&&... a) { return fmt::format(std::forward<decltype(a)>(a)...); });
}

std::size_t error_body_size(Status s, std::string_view detail) {
    return with_error_page(s, detail, [](auto&&... a) { return fmt::formatted_size(std::forward<decltype(a)>(a)...); });
}

std::size_t write_error_response(ResponseHead head, bool head_only, std::span<char> out, std::string_view detail) {
    head.content_type = "text/html; charset=utf-8";
    head.content_length = error_body_size(head.status, detail);
    const std::size_t n = write_head(head, out);
    if (n == 0 || head_only) return n;
    Writer w(out.subspan(n));
    with_error_page(head.status, detail, [&w](auto&&... a) { w.put(std::forward<decltype(a)>(a)...); });
    return w.size() == 0 ? 0 : n + w.size();
}

}  // namespace uringd::http
