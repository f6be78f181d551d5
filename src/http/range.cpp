#include <uringd/http/range.hpp>
#include <uringd/http/request.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace uringd::http {

namespace {

// The same strings frame the body and count its length.
constexpr auto kPartHead = FMT_STRING("\r\n--{}\r\nContent-Range: bytes {}-{}/{}\r\n\r\n");
constexpr auto kTypedPartHead = FMT_STRING("\r\n--{}\r\nContent-Type: {}\r\nContent-Range: bytes {}-{}/{}\r\n\r\n");
constexpr auto kEnd = FMT_STRING("\r\n--{}--\r\n");

// A position is all digits, no sign; RFC 9110 sets no upper bound, so one too large
// for 64 bits is past the end of any file rather than a syntax error.
enum class Num : uint8_t { Bad, Huge, Ok };

Num number(std::string_view s, uint64_t& v) {
    if (s.empty() || s.find_first_not_of("0123456789") != std::string_view::npos) return Num::Bad;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec == std::errc::result_out_of_range) {
        v = UINT64_MAX;
        return Num::Huge;
    }
    return r.ec == std::errc{} && r.ptr == s.data() + s.size() ? Num::Ok : Num::Bad;
}

enum class Spec : uint8_t { Invalid, Unsatisfiable, Ok };

// One range-spec: "a-b", "a-" or "-n", clamped to the representation.
Spec parse_spec(std::string_view s, uint64_t size, ByteRange& out) {
    const auto dash = s.find('-');
    if (dash == std::string_view::npos) return Spec::Invalid;
    const std::string_view a = s.substr(0, dash), b = s.substr(dash + 1);
    uint64_t first = 0, last = UINT64_MAX;
    if (a.empty()) {  // suffix: the last n bytes
        if (number(b, last) == Num::Bad) return Spec::Invalid;
        if (last == 0 || size == 0) return Spec::Unsatisfiable;
        out = {size - std::min(last, size), size - 1};
        return Spec::Ok;
    }
    if (number(a, first) == Num::Bad) return Spec::Invalid;
    if (!b.empty() && (number(b, last) == Num::Bad || last < first)) return Spec::Invalid;
    if (first >= size) return Spec::Unsatisfiable;
    out = {first, std::min(last, size - 1)};
    return Spec::Ok;
}

// Sorts and merges overlapping or nearly adjacent ranges, so no request can make
// us send a byte twice or pay a part's headers for a few bytes.
std::size_t coalesce(std::span<ByteRange> r) {
    std::sort(r.begin(), r.end(), [](const ByteRange& x, const ByteRange& y) { return x.first < y.first; });
    std::size_t n = 0;
    for (const ByteRange& cur : r) {
        if (n > 0 && cur.first <= r[n - 1].last + kCoalesceGap) {
            r[n - 1].last = std::max(r[n - 1].last, cur.last);
        } else {
            r[n++] = cur;
        }
    }
    return n;
}

}  // namespace

RangeSet parse_range(std::string_view field, uint64_t size, std::size_t max_ranges) {
    RangeSet set;
    field = trim_ows(field);
    if (field.size() < 6 || !iequals(field.substr(0, 6), "bytes=")) return set;  // a unit we do not know
    std::string_view rest = field.substr(6);
    max_ranges = std::min(max_ranges, kMaxRangesCap);
    std::size_t specs = 0;
    while (true) {
        const auto comma = rest.find(',');
        const std::string_view spec = trim_ows(rest.substr(0, comma));
        if (!spec.empty()) {  // empty list elements are allowed (RFC 9110 §5.6.1.2)
            if (++specs > max_ranges) return RangeSet{};
            ByteRange r;
            switch (parse_spec(spec, size, r)) {
            case Spec::Invalid: return RangeSet{};
            case Spec::Unsatisfiable: break;
            case Spec::Ok: set.ranges[set.count++] = r; break;
            }
        }
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    if (specs == 0) return RangeSet{};
    if (set.count == 0) {
        set.kind = RangeSet::Kind::Unsatisfiable;
        return set;
    }
    set.count = coalesce({set.ranges.data(), set.count});
    set.kind = RangeSet::Kind::Partial;
    return set;
}

std::size_t format_content_range(std::span<char> out, ByteRange r, uint64_t size) {
    const auto res = fmt::format_to_n(out.data(), out.size(), "bytes {}-{}/{}", r.first, r.last, size);
    return res.size <= out.size() ? res.size : 0;
}

std::size_t format_unsatisfied_range(std::span<char> out, uint64_t size) {
    const auto res = fmt::format_to_n(out.data(), out.size(), "bytes */{}", size);
    return res.size <= out.size() ? res.size : 0;
}

std::size_t write_part_head(std::span<char> out, std::string_view boundary, std::string_view content_type, ByteRange r,
                            uint64_t size) {
    const auto res =
        content_type.empty()
            ? fmt::format_to_n(out.data(), out.size(), kPartHead, boundary, r.first, r.last, size)
            : fmt::format_to_n(out.data(), out.size(), kTypedPartHead, boundary, content_type, r.first, r.last, size);
    return res.size <= out.size() ? res.size : 0;
}

std::size_t write_multipart_end(std::span<char> out, std::string_view boundary) {
    const auto res = fmt::format_to_n(out.data(), out.size(), kEnd, boundary);
    return res.size <= out.size() ? res.size : 0;
}

uint64_t multipart_length(const RangeSet& set, std::string_view boundary, std::string_view content_type,
                          uint64_t size) {
    uint64_t total = fmt::formatted_size(kEnd, boundary);
    for (const ByteRange& r : set.parts()) {
        total += r.length() + (content_type.empty() ? fmt::formatted_size(kPartHead, boundary, r.first, r.last, size)
                                                    : fmt::formatted_size(kTypedPartHead, boundary, content_type,
                                                                          r.first, r.last, size));
    }
    return total;
}

}  // namespace uringd::http
