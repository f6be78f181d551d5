#pragma once
// Signals are blocked in every thread and taken synchronously by the main thread.
#include <csignal>

namespace uringd::daemon {

// Blocks the handled signals (call before starting threads so they inherit the mask)
// and ignores SIGPIPE.
sigset_t block_signals();
// Waits for the next handled signal and returns its number, or 0 when `timeout_ms`
// (if positive) passed first.
int wait_signal(const sigset_t& set, int timeout_ms = 0);

}  // namespace uringd::daemon
