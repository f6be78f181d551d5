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

int wait_signal(const sigset_t& set) {
    for (;;) {
        const int s = sigwaitinfo(&set, nullptr);
        if (s > 0) return s;
        if (errno != EINTR) return SIGTERM;
    }
}

}  // namespace uringd::daemon
