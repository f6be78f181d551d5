#pragma once
// Logging goes through spdlog to stderr. Under systemd (stderr is the stream named by
// JOURNAL_STREAM) each line starts with its syslog priority ("<3>") and carries no
// timestamp: journald adds both, so `journalctl -p err` works. Use the spdlog free functions: spdlog::info(...) etc.
#include <spdlog/spdlog.h>

#include <string_view>

namespace uringd::log {

// Sets up the stderr logger; level is one of trace|debug|info|warn|error|critical|off.
void init(std::string_view level);
// Changes the level (a reload).
void set_level(std::string_view level);
// True when stderr is the journal stream systemd gave the service (JOURNAL_STREAM).
bool stderr_is_journal();
// The one line a failed start prints: "uringd: <message>", an error to journald.
void fatal(std::string_view message);

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
