#pragma once
// One configuration's worth of serving: its immutable context (sites, certificates,
// MIME table, logs, metrics) and the workers running on it. A reload starts a new
// generation on the same listening sockets, then lets the old one drain.
#include "workers.hpp"

#include <uringd/base/unique_fd.hpp>
#include <uringd/config/config.hpp>
#include <uringd/server/context.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace uringd::daemon {

using Listeners = std::vector<std::vector<UniqueFd>>;  // [worker][address]

struct Generation {
    std::unique_ptr<server::ServerContext> ctx;  // declared first: outlives the workers
    std::unique_ptr<WorkerGroup> workers;
};

// Loads certificates, opens roots and access logs, builds the workers' rings (not
// yet accepting: call workers->start()). Throws on any error, leaving nothing running.
Generation start_generation(const config::Config& conf, const Listeners& sockets);

// The same sockets again (dup), so two generations can share them across a reload.
Listeners dup_listeners(const Listeners& sockets);

// What a reload cannot change without a restart (the sockets, the worker count, the
// identity), or nullopt when `next` can be applied.
std::optional<std::string> restart_needed(const config::Config& running, const config::Config& next);

// "2 workers, io_uring …, listening on …" for logs and STATUS=.
std::string describe(const Generation& g);

}  // namespace uringd::daemon
