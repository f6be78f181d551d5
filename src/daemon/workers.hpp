#pragma once
// Starting, pinning and stopping the worker threads: the only places where threads
// meet (start-up handshake, the drain eventfd, join).
#include <uringd/base/unique_fd.hpp>
#include <uringd/server/context.hpp>

#include <future>
#include <string>
#include <thread>
#include <vector>

namespace uringd::daemon {

class WorkerGroup {
public:
    // Starts one worker per CPU (or conf.server.workers), pinned when pins_workers, with the sockets
    // open_listeners made for it; returns once all are accepting. Throws uringd::Error
    // (after stopping the started ones) on failure.
    WorkerGroup(const server::ServerContext& ctx, std::vector<std::vector<UniqueFd>> listeners);
    WorkerGroup(const WorkerGroup&) = delete;
    WorkerGroup& operator=(const WorkerGroup&) = delete;
    ~WorkerGroup();

    // Lets the constructed workers start accepting (after the privilege drop).
    void start();
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
    Started start_one(const server::ServerContext& ctx, unsigned index, int cpu, int attach_fd,
                      std::vector<UniqueFd> listeners);

    std::vector<std::thread> threads_;
    // One per worker: true = start serving, false = stop before serving; then the
    // worker answers with an empty string, or why it could not start.
    std::vector<std::promise<bool>> go_;
    std::vector<std::future<std::string>> serving_results_;
    std::vector<UniqueFd> wake_fds_;
    std::string ring_mode_;
};

// The CPUs this process may run on (sched_getaffinity), in order.
std::vector<int> allowed_cpus();

// Whether each worker thread is bound to one CPU ([server] pin_workers).
bool pins_workers(const config::ServerConfig& server);

// How many workers the configuration asks for (0 = one per allowed CPU).
unsigned worker_count(const config::Config& conf);

// Every worker's own SO_REUSEPORT socket on every address, bound now (before the
// privilege drop, so ports below 1024 work). Throws uringd::Error naming the address.
std::vector<std::vector<UniqueFd>> open_listeners(const config::Config& conf);

}  // namespace uringd::daemon
