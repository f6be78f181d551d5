#include "workers.hpp"

#include <uringd/base/error.hpp>
#include <uringd/net/listener.hpp>
#include <uringd/server/worker.hpp>

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <future>

#include <spdlog/spdlog.h>

namespace uringd::daemon {

std::vector<int> allowed_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    std::vector<int> cpus;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        for (int i = 0; i < CPU_SETSIZE; ++i)
            if (CPU_ISSET(i, &set)) cpus.push_back(i);
    if (cpus.empty()) cpus.push_back(0);
    return cpus;
}

bool pins_workers(const config::ServerConfig& server) {
    switch (server.pin_workers) {
    case config::PinWorkers::On: return true;
    case config::PinWorkers::Off: return false;
    case config::PinWorkers::Auto: break;
    }
    // Measured (bench/results, whole box): with the load generator or any other
    // process sharing the cores, a pinned worker waits behind it while the other core
    // idles; unpinned workers served 1.2-1.45x the requests. Steering by
    // SO_INCOMING_CPU only works when the worker runs on that CPU.
    return server.incoming_cpu;
}

unsigned worker_count(const config::Config& conf) {
    return conf.server.workers ? conf.server.workers : static_cast<unsigned>(allowed_cpus().size());
}

namespace {

// Sockets systemd passed (socket activation), matched to addresses; the others are
// closed with a warning. Empty when uringd was not socket-activated.
std::vector<std::pair<SocketAddress, UniqueFd>> activated_sockets(const std::vector<SocketAddress>& wanted) {
    std::vector<std::pair<SocketAddress, UniqueFd>> out;
    const int n = sd_listen_fds(1);
    for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + std::max(n, 0); ++fd) {
        UniqueFd owned(fd);
        const auto match = std::find_if(wanted.begin(), wanted.end(), [fd](const SocketAddress& a) {
            return sd_is_socket_sockaddr(fd, SOCK_STREAM, a.get(), a.length, 1) > 0;
        });
        if (match == wanted.end()) {
            spdlog::warn("socket activation: descriptor {} matches no [[listen]] or [admin] address; closed", fd);
            continue;
        }
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        spdlog::info("socket activation: {} from systemd", match->to_string());
        out.emplace_back(*match, std::move(owned));
    }
    return out;
}

}  // namespace

std::vector<std::vector<UniqueFd>> open_listeners(const config::Config& conf) {
    const auto cpus = allowed_cpus();
    std::vector<SocketAddress> addresses;
    for (const auto& l : conf.listen) addresses.push_back(l.address);
    if (conf.admin.enabled) addresses.push_back(conf.admin.address);  // always last
    const auto activated = activated_sockets(addresses);
    for (const auto& a : addresses) {
        const bool given = std::any_of(activated.begin(), activated.end(), [&a](const auto& s) {
            return s.first.length == a.length && std::memcmp(&s.first.storage, &a.storage, a.length) == 0;
        });
        if (!given) net::check_address_free(a);
    }
    std::vector<std::vector<UniqueFd>> out(worker_count(conf));
    for (std::size_t i = 0; i < out.size(); ++i) {
        net::ListenOptions lo;
        lo.incoming_cpu = conf.server.incoming_cpu ? cpus[i % cpus.size()] : -1;
        for (const auto& a : addresses) {
            const auto given = std::find_if(activated.begin(), activated.end(), [&a](const auto& s) {
                return s.first.length == a.length && std::memcmp(&s.first.storage, &a.storage, a.length) == 0;
            });
            if (given == activated.end()) {
                out[i].push_back(net::open_listener(a, lo));
                continue;
            }
            // systemd's one socket, shared by every worker (each arms its own accept).
            UniqueFd copy(::fcntl(given->second.get(), F_DUPFD_CLOEXEC, 0));
            if (!copy) throw_errno(errno, "dup activated socket");
            out[i].push_back(std::move(copy));
        }
    }
    return out;
}

namespace {

// cpu < 0: the thread is only named; the scheduler places it.
void pin_current_thread(int cpu, unsigned index) {
    const std::string name = fmt::format("uringd-w{}", index);
    pthread_setname_np(pthread_self(), name.c_str());
    if (cpu < 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (const int r = pthread_setaffinity_np(pthread_self(), sizeof set, &set); r != 0)
        spdlog::warn("worker {}: cannot pin to CPU {}: {}", index, cpu, std::strerror(r));
}

}  // namespace

WorkerGroup::Started WorkerGroup::start_one(const server::ServerContext& ctx, unsigned index, int cpu, int attach_fd,
                                            std::vector<UniqueFd> listeners) {
    UniqueFd wake(::eventfd(0, EFD_CLOEXEC));
    if (!wake) throw_errno(errno, "eventfd");
    std::promise<Started> started;
    auto ready = started.get_future();
    server::WorkerOptions opts{index, cpu, attach_fd, wake.get()};
    go_.emplace_back();
    std::promise<std::string> serving_promise;
    serving_results_.push_back(serving_promise.get_future());
    threads_.emplace_back([&ctx, opts, promise = std::move(started), socks = std::move(listeners),
                           go = go_.back().get_future(), serving = std::move(serving_promise)]() mutable {
        pin_current_thread(opts.cpu, opts.index);
        std::optional<server::Worker> worker;
        try {
            worker.emplace(ctx, opts, std::move(socks));
        } catch (const std::exception& e) {
            promise.set_value({-1, {}, e.what()});
            return;
        }
        promise.set_value({worker->ring_fd(), worker->ring_mode(), {}});
        if (!go.get()) return;  // stopped before serving (the privilege drop failed)
        try {
            worker->start();
        } catch (const std::exception& e) {
            serving.set_value(e.what());
            return;
        }
        serving.set_value({});
        worker->run();
    });
    wake_fds_.push_back(std::move(wake));
    return ready.get();
}

WorkerGroup::WorkerGroup(const server::ServerContext& ctx, std::vector<std::vector<UniqueFd>> listeners) {
    const auto cpus = allowed_cpus();
    const bool pin = pins_workers(ctx.conf.server);
    const auto n = static_cast<unsigned>(listeners.size());
    int first_ring = -1;
    for (unsigned i = 0; i < n; ++i) {
        // Workers start one after another: with a shared SQPOLL thread, the first
        // ring must exist before the others attach to it.
        const Started s = start_one(ctx, i, pin ? cpus[i % cpus.size()] : -1, first_ring, std::move(listeners[i]));
        if (!s.error.empty()) {
            drain_and_join();
            fail("worker {}: {}", i, s.error);
        }
        if (i == 0) first_ring = s.ring_fd;
        if (ring_mode_.find(s.mode) == std::string::npos) ring_mode_ += (ring_mode_.empty() ? "" : " + ") + s.mode;
    }
}

WorkerGroup::~WorkerGroup() { drain_and_join(); }

void WorkerGroup::start() {
    for (auto& go : go_) go.set_value(true);
    go_.clear();
    for (std::size_t i = 0; i < serving_results_.size(); ++i)
        if (std::string error = serving_results_[i].get(); !error.empty()) {
            drain_and_join();
            fail("worker {}: {}", i, error);
        }
    serving_results_.clear();
}

void WorkerGroup::drain_and_join() {
    for (auto& go : go_) go.set_value(false);  // never started: stop before serving
    go_.clear();
    const uint64_t one = 1;
    for (auto& fd : wake_fds_)
        if (::write(fd.get(), &one, sizeof one) < 0) spdlog::error("wake worker: {}", std::strerror(errno));
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
    wake_fds_.clear();
}

}  // namespace uringd::daemon
