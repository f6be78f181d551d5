#pragma once
// IMF-fixdate (RFC 9110 §5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
#include <array>
#include <ctime>
#include <optional>
#include <string_view>

namespace uringd::http {

inline constexpr std::size_t kHttpDateLen = 29;

// Writes exactly kHttpDateLen characters.
void format_http_date(std::time_t t, char* out);

// Parses the three forms recipients must accept (RFC 9110 §5.6.7): IMF-fixdate,
// RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime ("Sun Nov  6 08:49:37 1994").
// nullopt when it is none of them; the weekday is not checked.
std::optional<std::time_t> parse_http_date(std::string_view s);

// The Date header value, reformatted at most once per second (one per worker).
class DateCache {
public:
    std::string_view get(std::time_t now);

private:
    std::time_t at_ = -1;
    std::array<char, kHttpDateLen> text_{};
};

}  // namespace uringd::http
