#pragma once
// Logging goes through spdlog to stderr (journald adds its own timestamps when
// run under systemd). Use the spdlog free functions: spdlog::info(...) etc.
#include <spdlog/spdlog.h>

#include <string_view>

namespace uringd::log {

// Sets up the stderr logger; level is one of trace|debug|info|warn|error|critical|off.
void init(std::string_view level);
// Changes the level (a reload).
void set_level(std::string_view level);

// Lets a message through at most once per `interval_ms` per limiter; counts the rest.
class RateLimit {
public:
    explicit RateLimit(long interval_ms) : interval_ms_(interval_ms) {}
    // True when a message may be logged now; then `suppressed()` tells how many were
    // dropped since the previous message.
    bool allow(long now_ms);
    unsigned long suppressed() const { return reported_; }

private:
    long interval_ms_;
    long next_ms_ = 0;
    unsigned long suppressed_ = 0;
    unsigned long reported_ = 0;
};

}  // namespace uringd::log
