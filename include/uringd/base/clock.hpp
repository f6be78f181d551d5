#pragma once
// Monotonic and wall clocks in the units the server uses.
#include <cstdint>
#include <ctime>

namespace uringd::clock {

// Milliseconds on CLOCK_MONOTONIC_COARSE (cheap; ~4 ms resolution is plenty for timeouts).
int64_t monotonic_ms();
// Microseconds on CLOCK_MONOTONIC (precise; for durations that are logged).
int64_t monotonic_us();
// Seconds since the epoch.
std::time_t wall_seconds();

}  // namespace uringd::clock
