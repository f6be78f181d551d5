#include <uringd/http/date.hpp>

#include <cstdio>

namespace uringd::http {

void format_http_date(std::time_t t, char* out) {
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[kHttpDateLen + 1];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7],
                  tm.tm_mday, kMonths[tm.tm_mon % 12], (tm.tm_year + 1900) % 10000, tm.tm_hour,
                  tm.tm_min, tm.tm_sec);
    for (std::size_t i = 0; i < kHttpDateLen; ++i) out[i] = buf[i];
}

std::string_view DateCache::get(std::time_t now) {
    if (now != at_) {
        format_http_date(now, text_.data());
        at_ = now;
    }
    return {text_.data(), text_.size()};
}

}  // namespace uringd::http
