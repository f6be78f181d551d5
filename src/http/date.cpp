#include <uringd/http/date.hpp>

#include <cstdio>

namespace uringd::http {

namespace {

constexpr const char* kMonthNames[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Reads exactly `n` digits at s[pos]; -1 when any is not a digit.
int digits(std::string_view s, std::size_t pos, std::size_t n) {
    if (pos + n > s.size()) return -1;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int month_at(std::string_view s, std::size_t pos) {
    if (pos + 3 > s.size()) return -1;
    for (int m = 0; m < 12; ++m)
        if (s.substr(pos, 3) == kMonthNames[m]) return m;
    return -1;
}

// "HH:MM:SS" at s[pos]
bool time_at(std::string_view s, std::size_t pos, std::tm& tm) {
    if (pos + 8 > s.size() || s[pos + 2] != ':' || s[pos + 5] != ':') return false;
    tm.tm_hour = digits(s, pos, 2);
    tm.tm_min = digits(s, pos + 3, 2);
    tm.tm_sec = digits(s, pos + 6, 2);
    return tm.tm_hour >= 0 && tm.tm_hour < 24 && tm.tm_min >= 0 && tm.tm_min < 60 && tm.tm_sec >= 0 && tm.tm_sec <= 60;
}

std::optional<std::time_t> to_time(std::tm& tm) {
    if (tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_mon < 0 || tm.tm_year < 0) return std::nullopt;
    return timegm(&tm);
}

}  // namespace

std::optional<std::time_t> parse_http_date(std::string_view s) {
    std::tm tm{};
    const auto comma = s.find(',');
    if (comma == 3 && s.size() == kHttpDateLen) {  // Sun, 06 Nov 1994 08:49:37 GMT
        if (s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s.substr(25) != " GMT") return std::nullopt;
        tm.tm_mday = digits(s, 5, 2);
        tm.tm_mon = month_at(s, 8);
        tm.tm_year = digits(s, 12, 4) - 1900;
        if (!time_at(s, 17, tm)) return std::nullopt;
        return to_time(tm);
    }
    if (comma != std::string_view::npos && comma > 3) {  // Sunday, 06-Nov-94 08:49:37 GMT
        const std::string_view r = s.substr(comma + 1);
        if (r.size() != 23 || r[0] != ' ' || r[3] != '-' || r[7] != '-' || r[10] != ' ' || r.substr(19) != " GMT")
            return std::nullopt;
        tm.tm_mday = digits(r, 1, 2);
        tm.tm_mon = month_at(r, 4);
        const int yy = digits(r, 8, 2);
        if (yy < 0) return std::nullopt;
        // RFC 9110: a two-digit year more than 50 years ahead is in the past century.
        tm.tm_year = yy < 70 ? yy + 100 : yy;
        if (!time_at(r, 11, tm)) return std::nullopt;
        return to_time(tm);
    }
    if (comma == std::string_view::npos && s.size() == 24) {  // Sun Nov  6 08:49:37 1994
        if (s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[19] != ' ') return std::nullopt;
        tm.tm_mon = month_at(s, 4);
        tm.tm_mday = s[8] == ' ' ? digits(s, 9, 1) : digits(s, 8, 2);
        tm.tm_year = digits(s, 20, 4) - 1900;
        if (!time_at(s, 11, tm)) return std::nullopt;
        return to_time(tm);
    }
    return std::nullopt;
}

void format_http_date(std::time_t t, char* out) {
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[kHttpDateLen + 1];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7], tm.tm_mday,
                  kMonthNames[tm.tm_mon % 12], (tm.tm_year + 1900) % 10000, tm.tm_hour, tm.tm_min, tm.tm_sec);
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
