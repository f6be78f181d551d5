#pragma once
// Byte ranges (RFC 9110 §14): the Range header against a representation's length,
// and the framing of multipart/byteranges bodies. Pure.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace uringd::http {

inline constexpr std::size_t kMaxRangesCap = 64;
// Ranges closer than this are sent as one part: a part's own headers cost about as
// much (RFC 9110 §14.6 lets a server coalesce them).
inline constexpr uint64_t kCoalesceGap = 80;

struct ByteRange {
    uint64_t first = 0;
    uint64_t last = 0;  // inclusive
    uint64_t length() const { return last - first + 1; }
};

struct RangeSet {
    // Full: no Range, an invalid or foreign one, or more ranges than allowed (then the
    // whole representation goes out with 200). Unsatisfiable: 416.
    enum class Kind : uint8_t { Full, Partial, Unsatisfiable };
    Kind kind = Kind::Full;
    std::array<ByteRange, kMaxRangesCap> ranges{};
    std::size_t count = 0;  // Partial: sorted, non-overlapping, coalesced

    std::span<const ByteRange> parts() const { return {ranges.data(), count}; }
};

// `max_ranges` (at most kMaxRangesCap) caps the range-specs a request may list.
RangeSet parse_range(std::string_view field, uint64_t size, std::size_t max_ranges);

// "bytes a-b/size" and "bytes */size" (Content-Range values). Return the length
// written, 0 when `out` is too small.
std::size_t format_content_range(std::span<char> out, ByteRange r, uint64_t size);
std::size_t format_unsatisfied_range(std::span<char> out, uint64_t size);

// multipart/byteranges framing: before each part "\r\n--B\r\nContent-Type: T\r\n
// Content-Range: bytes a-b/size\r\n\r\n", after the last "\r\n--B--\r\n".
std::size_t write_part_head(std::span<char> out, std::string_view boundary, std::string_view content_type, ByteRange r,
                            uint64_t size);
std::size_t write_multipart_end(std::span<char> out, std::string_view boundary);
// The whole body's length (for Content-Length).
uint64_t multipart_length(const RangeSet& set, std::string_view boundary, std::string_view content_type, uint64_t size);

}  // namespace uringd::http
