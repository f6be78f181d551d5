// Conditional and range responses for a file (RFC 9110 §13, §14): 304, 412, 416,
// 206 with one range, and multipart/byteranges framed part by part around bodies
// that leave the way every body does (cached copy, chunks, or splice).
#include <uringd/base/clock.hpp>
#include <uringd/http/conditional.hpp>
#include <uringd/server/responder.hpp>

#include <fmt/format.h>

#include <cstring>

namespace uringd::server {

namespace {

std::string_view boundary_of(const Exchange& x) { return {x.boundary.data(), x.boundary.size()}; }

}  // namespace

std::string_view Responder::file_etag(const Exchange& x) const {
    return x.resolver.coding() >= 0 ? std::string_view(x.coded_etag) : std::string_view(x.fref->etag);
}

http::ResponseHead Responder::file_head(const Connection& c, const Exchange& x, http::Status status) {
    const fs::CachedFile& f = x.fref.get();
    http::ResponseHead head;
    head.status = status;
    head.date = date_.get(clock::wall_seconds());
    head.content_type = f.content_type;
    head.last_modified = f.last_modified;
    head.etag = file_etag(x);
    head.accept_ranges = true;
    const Site& site = core_.ctx.sites[x.site];
    head.cache_control = site.cache_control_for(x.resolver.path());
    if (site.conf.precompressed) head.vary = "Accept-Encoding";
    if (x.resolver.coding() >= 0) {
        head.content_type = core_.ctx.mime.lookup(x.resolver.path());
        head.content_encoding = http::coding_name(static_cast<http::Coding>(x.resolver.coding()));
    }
    head.extra = site.extra_for(c.tls != nullptr);
    head.keep_alive = c.keep_alive;
    head.http10_keep_alive = x.http10_keep_alive;
    return head;
}

// Preconditions and Range. True when it answered; false: send the whole file (200).
bool Responder::respond_conditional(Connection& c, Exchange& x) {
    const fs::CachedFile& f = x.fref.get();
    const http::Request& req = request_of(c, x);
    const http::Validators v{file_etag(x), f.st.stx_mtime.tv_sec};
    switch (http::evaluate_preconditions(req, v)) {
    case http::Precondition::Proceed: break;
    case http::Precondition::NotModified: {
        http::ResponseHead head = file_head(c, x, http::Status::NotModified);
        head.content_type = {};
        head.accept_ranges = false;
        if (x.h2) return reply_h2(c, x, head), true;
        transport_.start_send(c, static_cast<uint32_t>(telemetry_.put_head(c, x, head, transport_.plain_area(c))));
        return true;
    }
    case http::Precondition::Failed: respond_simple(c, x, http::Status::PreconditionFailed); return true;
    }
    // RFC 9110 §14.2: ranges are defined for GET only; HEAD describes the whole file.
    const auto range = req.header("Range");
    if (x.head_only || !range || !http::if_range_holds(req, v)) return false;
    const uint64_t size = f.st.stx_size;
    const http::RangeSet set = http::parse_range(*range, size, core_.conf.limits.max_ranges);
    switch (set.kind) {
    case http::RangeSet::Kind::Full: return false;
    case http::RangeSet::Kind::Unsatisfiable: {
        char value[48];
        http::ResponseHead head = file_head(c, x, http::Status::RangeNotSatisfiable);
        head.content_range = {value, http::format_unsatisfied_range(value, size)};
        head.last_modified = head.etag = {};
        head.accept_ranges = true;
        write_simple(c, x, head);
        return true;
    }
    case http::RangeSet::Kind::Partial: break;
    }
    if (set.count == 1) respond_single_range(c, x, set.ranges[0]);
    else respond_multipart(c, x, set);
    return true;
}

void Responder::respond_single_range(Connection& c, Exchange& x, http::ByteRange r) {
    const fs::CachedFile& f = x.fref.get();
    char value[64];
    http::ResponseHead head = file_head(c, x, http::Status::PartialContent);
    head.content_length = r.length();
    head.content_range = {value, http::format_content_range(value, r, f.st.stx_size)};
    if (x.h2) {
        reply_h2(c, x, head);
        x.h2->body.push_back({{}, r.first, r.length()});
        return;
    }
    const auto out = transport_.plain_area(c);
    const auto head_len = static_cast<uint32_t>(telemetry_.put_head(c, x, head, out));
    if (f.body_loaded && r.length() <= out.size() - head_len) {  // in memory: one send
        std::memcpy(out.data() + head_len, f.body.data() + r.first, r.length());
        return transport_.start_send(c, head_len + static_cast<uint32_t>(r.length()));
    }
    x.body_off = r.first;
    x.body_left = r.length();
    body_.start_body(c, head_len);
}

void Responder::respond_multipart(Connection& c, Exchange& x, const http::RangeSet& set) {
    const fs::CachedFile& f = x.fref.get();
    const uint64_t size = f.st.stx_size;
    fmt::format_to_n(x.boundary.data(), x.boundary.size(), "{:016x}", ++boundaries_ ^ boundary_salt_);
    char type[64];
    const auto type_len = fmt::format_to_n(type, sizeof type, "multipart/byteranges; boundary={}", boundary_of(x)).size;
    http::ResponseHead head = file_head(c, x, http::Status::PartialContent);
    head.content_type = {type, type_len};
    head.content_length = http::multipart_length(set, boundary_of(x), f.content_type, size);
    if (x.h2) return reply_h2_multipart(c, x, head, set);
    const auto out = transport_.plain_area(c);
    uint32_t len = static_cast<uint32_t>(telemetry_.put_head(c, x, head, out));
    if (f.body_loaded && head.content_length <= out.size() - len) {  // everything in one send
        for (const http::ByteRange& r : set.parts()) {
            len +=
                static_cast<uint32_t>(http::write_part_head(out.subspan(len), boundary_of(x), f.content_type, r, size));
            std::memcpy(out.data() + len, f.body.data() + r.first, r.length());
            len += static_cast<uint32_t>(r.length());
        }
        len += static_cast<uint32_t>(http::write_multipart_end(out.subspan(len), boundary_of(x)));
        return transport_.start_send(c, len);
    }
    x.parts.assign(set.parts().begin(), set.parts().end());
    x.next_part = 0;
    transport_.start_send(c, len);  // the head; then next_part_or_done frames each part
}

// HTTP/2: each part is a segment, its heading the segment's text.
void Responder::reply_h2_multipart(Connection& c, Exchange& x, const http::ResponseHead& head,
                                   const http::RangeSet& set) {
    reply_h2(c, x, head);
    const fs::CachedFile& f = x.fref.get();
    char text[512];
    for (const http::ByteRange& r : set.parts()) {
        const auto n = http::write_part_head(text, boundary_of(x), f.content_type, r, f.st.stx_size);
        x.h2->body.push_back({std::string(text, n), r.first, r.length()});
    }
    const auto n = http::write_multipart_end(text, boundary_of(x));
    x.h2->body.push_back({std::string(text, n), 0, 0});
}

// After a response's bytes so far are on the socket: the next part of a multipart
// body (its heading, then its bytes), the closing boundary, or the end (true).
bool Responder::next_part_or_done(Connection& c) {
    Exchange& x = c.ex;
    if (x.parts.empty()) return true;
    if (!c.buf && !core_.take_buffer(c, Pending::Part)) return false;  // spliced parts gave theirs back
    const fs::CachedFile& f = x.fref.get();
    const auto out = transport_.plain_area(c);
    if (x.next_part == x.parts.size()) {
        const auto n = http::write_multipart_end(out, boundary_of(x));
        x.parts = {};
        transport_.start_send(c, static_cast<uint32_t>(n));
        return false;
    }
    const http::ByteRange r = x.parts[x.next_part++];
    const auto n = http::write_part_head(out, boundary_of(x), f.content_type, r, f.st.stx_size);
    x.body_off = r.first;
    x.body_left = r.length();
    body_.start_body(c, static_cast<uint32_t>(n));
    return false;
}

}  // namespace uringd::server
