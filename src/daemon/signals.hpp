#pragma once
// Signals are blocked in every thread and taken synchronously by the main thread.
#include <csignal>

namespace uringd::daemon {

// Blocks the handled signals (call before starting threads so they inherit the mask)
// and ignores SIGPIPE.
sigset_t block_signals();
// Waits for the next handled signal and returns its number.
int wait_signal(const sigset_t& set);

}  // namespace uringd::daemon
