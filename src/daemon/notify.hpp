#pragma once
// The service manager protocol (sd_notify(3)): READY, STATUS, STOPPING and the
// watchdog. Every call is a no-op when uringd was not started with NOTIFY_SOCKET.
#include <cstdint>
#include <string_view>

namespace uringd::daemon {

class Notifier {
public:
    Notifier();

    void ready(std::string_view status) const;
    void status(std::string_view status) const;
    void stopping() const;
    void reloading() const;  // RELOADING=1 with MONOTONIC_USEC; ready() again when done
    void watchdog() const;

    // How often to call watchdog() (half of WatchdogSec), or 0 when it is off.
    int watchdog_interval_ms() const { return watchdog_ms_; }

private:
    int watchdog_ms_ = 0;
};

}  // namespace uringd::daemon
