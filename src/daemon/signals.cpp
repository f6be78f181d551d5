#include "signals.hpp"

#include <pthread.h>

#include <cerrno>
#include <initializer_list>

namespace uringd::daemon {

sigset_t block_signals() {
    std::signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGQUIT}) sigaddset(&set, s);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    return set;
}

int wait_signal(const sigset_t& set, int timeout_ms) {
    const timespec ts{timeout_ms / 1000, static_cast<long>(timeout_ms % 1000) * 1000000};
    for (;;) {
        const int s = timeout_ms > 0 ? sigtimedwait(&set, nullptr, &ts) : sigwaitinfo(&set, nullptr);
        if (s > 0) return s;
        if (errno == EAGAIN) return 0;
        if (errno != EINTR) return SIGTERM;
    }
}

}  // namespace uringd::daemon
