#include "notify.hpp"

#include <uringd/base/log.hpp>

#include <systemd/sd-daemon.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <string>

namespace uringd::daemon {

namespace {

void send(const std::string& state) {
    // A failure here must not stop the server; systemd will notice on its own.
    if (const int r = sd_notify(0, state.c_str()); r < 0) spdlog::warn("sd_notify: {}", std::strerror(-r));
}

}  // namespace

Notifier::Notifier() {
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
        watchdog_ms_ = static_cast<int>(std::max<uint64_t>(usec / 2000, 1));
}

void Notifier::ready(std::string_view status) const { send(fmt::format("READY=1\nSTATUS={}", status)); }

void Notifier::status(std::string_view status) const { send(fmt::format("STATUS={}", status)); }

void Notifier::stopping() const { send("STOPPING=1\nSTATUS=draining"); }

void Notifier::reloading() const {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    send(fmt::format("RELOADING=1\nMONOTONIC_USEC={}", uint64_t(ts.tv_sec) * 1000000 + uint64_t(ts.tv_nsec) / 1000));
}

void Notifier::watchdog() const { send("WATCHDOG=1"); }

}  // namespace uringd::daemon
