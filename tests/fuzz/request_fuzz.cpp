// Raw request bytes → parser → route → preconditions and ranges → response head:
// the worker's decisions, with the file replaced by fixed validators. Differential:
// every request the parser hands over must be one a strict RFC 9112 reading
// (reference_framer.hpp) also finds, ending at the same byte. The first
// byte picks the listener, SNI, unknown_host policy, file size and how the bytes
// arrive; the rest is the stream a client sent.
#include "check.hpp"
#include "reference_framer.hpp"

#include <uringd/http/conditional.hpp>
#include <uringd/http/encoding.hpp>
#include <uringd/http/parser.hpp>
#include <uringd/http/range.hpp>
#include <uringd/http/response.hpp>
#include <uringd/server/route.hpp>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace uringd;

using fuzz::check;

server::ServerContext make_context() {
    server::ServerContext ctx;
    const std::array<std::vector<std::string>, 3> names{{{}, {"a.example", "*.b.example"}, {"[::1]", "127.0.0.1"}}};
    for (std::size_t i = 0; i < names.size(); ++i) {
        config::SiteConfig s;
        s.root = "/nonexistent";
        s.server_names = names[i];
        s.serve_hidden = i == 2;
        ctx.sites.push_back(server::Site{s, UniqueFd{}, {}, {}, {}, {}, -1});
    }
    return ctx;
}

constexpr std::array<std::string_view, 4> kSni{"", "a.example", "x.b.example", "other.example"};
constexpr std::array<uint64_t, 4> kFileSize{0, 1, 10'000, uint64_t{1} << 40};

bool valid_normalised(std::string_view p) {
    if (p.empty()) return true;
    if (p.front() == '/' || p.back() == '/' || p.find('\0') != std::string_view::npos) return false;
    std::size_t start = 0;
    while (start <= p.size()) {
        const std::size_t end = std::min(p.find('/', start), p.size());
        const std::string_view seg = p.substr(start, end - start);
        if (seg.empty() || seg == "." || seg == "..") return false;
        start = end + 1;
    }
    return true;
}

// A head must be one status line and "Name: value" lines, each ending in CRLF.
void check_head(std::string_view head) {
    check(head.starts_with("HTTP/1.1 ") && head.ends_with("\r\n\r\n"), "head framing");
    std::size_t pos = head.find("\r\n") + 2;
    while (pos < head.size() - 2) {
        const std::size_t end = head.find("\r\n", pos);
        const std::string_view line = head.substr(pos, end - pos);
        check(line.find(": ") != std::string_view::npos, "header line without a colon");
        check(line.find_first_of("\r\n") == std::string_view::npos, "bare CR or LF in a header");
        pos = end + 2;
    }
}

void check_ranges(const http::Request& req, uint64_t size) {
    const http::Validators v{"\"5f00-2710\"", 1'700'000'000};
    const http::Precondition pre = http::evaluate_preconditions(req, v);
    check(pre == http::Precondition::Proceed || pre == http::Precondition::NotModified ||
              pre == http::Precondition::Failed,
          "precondition value");
    (void)http::if_range_holds(req, v);
    const auto field = req.header("Range");
    if (!field) return;
    const http::RangeSet set = http::parse_range(*field, size, 16);
    if (set.kind != http::RangeSet::Kind::Partial) return;
    check(set.count >= 1 && set.count <= 16, "range count");
    uint64_t sum = 0;
    for (std::size_t i = 0; i < set.count; ++i) {
        const http::ByteRange r = set.ranges[i];
        check(r.first <= r.last && r.last < size, "range outside the file");
        check(i == 0 || set.ranges[i - 1].last + 1 < r.first, "ranges not sorted and apart");
        sum += r.length();
    }
    check(sum <= size, "ranges send a byte twice");
    const uint64_t total = http::multipart_length(set, "0123456789abcdef", "text/plain", size);
    check(total > sum, "multipart length");
    char part[256];
    for (const auto& r : set.parts())
        check(http::write_part_head(part, "0123456789abcdef", "text/plain", r, size) > 0, "part head");
    char value[64];
    check(http::format_content_range(value, set.ranges[0], size) > 0, "content-range");
}

void check_request(const server::ServerContext& ctx, const http::Request& req, uint8_t opts,
                   http::ResolvedTarget& target) {
    const bool redirect = opts & 1;
    const server::RouteInput in{req, kSni[(opts >> 1) & 3], redirect};
    const server::Route route = server::route_request(ctx, in, target);
    check(route.site < ctx.sites.size(), "site index");
    http::ResponseHead head;
    head.status = route.status;
    head.date = "Mon, 23 Nov 2026 22:00:00 GMT";
    head.keep_alive = req.keep_alive && !route.close;
    std::string location;
    switch (route.kind) {
    case server::Route::Kind::Respond: break;
    case server::Route::Kind::Redirect:
        check(redirect && !route.host.empty(), "redirect without a host");
        location = "https://" + std::string(route.host) + std::string(route.path_and_query);
        head.location = location;
        break;
    case server::Route::Kind::Serve:
        check(!redirect, "served on a redirect listener");
        check(valid_normalised(target.path), "path not normalised");
        check(ctx.sites[route.site].conf.serve_hidden || !http::has_hidden_segment(target.path), "hidden path");
        check_ranges(req, kFileSize[(opts >> 5) & 3]);
        (void)http::negotiate_encoding(req.header("Accept-Encoding"));
        head.content_length = kFileSize[(opts >> 5) & 3];
        head.etag = "\"5f00-2710\"";
        break;
    }
    std::array<char, 4096> out;
    const std::size_t n = http::write_head(head, out);
    check(n > 0 && n <= out.size(), "head did not fit");
    check_head({out.data(), n});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    static server::ServerContext ctx = make_context();
    if (size < 1) return 0;
    const uint8_t opts = data[0];
    ctx.conf.server.unknown_host = static_cast<config::UnknownHost>(((opts >> 3) & 3) % 3);
    const std::string stream(reinterpret_cast<const char*>(data + 1), size - 1);
    // Bytes arrive in slices of 1..8 bytes or all at once (opts bit 7).
    const std::size_t step = opts & 0x80 ? 1 + (opts & 7) : stream.size() + 1;

    http::RequestParser parser(http::ParserLimits{256, 1024});
    http::ResolvedTarget target;
    const std::vector<reference::Message> strict = reference::frame_requests(stream);
    std::size_t handed_over = 0;
    std::size_t parsed = 0, available = 0;
    while (parsed < stream.size()) {
        available = std::min(stream.size(), std::max(available, parsed) + step);
        const auto r = parser.feed(std::string_view(stream).substr(parsed, available - parsed));
        check(r.consumed <= available - parsed, "consumed more than fed");
        parsed += r.consumed;
        if (r.state == http::RequestParser::State::Error) {
            check(http::code(parser.error_status()) >= 400, "error status");
            break;
        }
        if (r.state == http::RequestParser::State::NeedMore) {
            if (available == stream.size()) break;
            continue;
        }
        // Expect: 100-continue is handed over at its head and answered with the
        // connection closing, its body never read: only the head must be one the strict
        // reading finds (the bytes after it may be anything, even a malformed body).
        const bool at_head = parser.request().expect_continue;
        const std::vector<reference::Message> heads =
            at_head ? reference::frame_requests(std::string_view(stream).substr(0, parsed)) : strict;
        check(handed_over < heads.size(), "a request the strict framing does not find (smuggling)");
        const reference::Message& m = heads[handed_over++];
        check(at_head || m.complete, "a request whose body the strict framing says is incomplete");
        check(parsed == (at_head ? m.head_end : m.end), "request boundary differs");
        check_request(ctx, parser.request(), opts, target);
        if (parser.request().expect_continue) break;  // the body is never read: the connection closes
        if (!parser.request().keep_alive) break;
        parser.next_request();
    }
    return 0;
}
