#pragma once
// Starting, pinning and stopping the worker threads: the only places where threads
// meet (start-up handshake, the drain eventfd, join).
#include <uringd/base/unique_fd.hpp>
#include <uringd/server/context.hpp>

#include <string>
#include <thread>
#include <vector>

namespace uringd::daemon {

class WorkerGroup {
public:
    // Starts one worker per CPU (or conf.server.workers), each pinned; returns once all
    // are accepting. Throws uringd::Error (after stopping the started ones) on failure.
    explicit WorkerGroup(const server::ServerContext& ctx);
    WorkerGroup(const WorkerGroup&) = delete;
    WorkerGroup& operator=(const WorkerGroup&) = delete;
    ~WorkerGroup();

    // Asks every worker to drain (stop accepting, finish responses) and waits for them.
    void drain_and_join();
    std::size_t size() const { return threads_.size(); }
    const std::string& ring_mode() const { return ring_mode_; }

private:
    struct Started {
        int ring_fd = -1;
        std::string mode;
        std::string error;
    };
    Started start_one(const server::ServerContext& ctx, unsigned index, int cpu, int attach_fd);

    std::vector<std::thread> threads_;
    std::vector<UniqueFd> wake_fds_;
    std::string ring_mode_;
};

// The CPUs this process may run on (sched_getaffinity), in order.
std::vector<int> allowed_cpus();

}  // namespace uringd::daemon
