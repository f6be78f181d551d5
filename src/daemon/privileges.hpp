#pragma once
// Leaving root once the listeners are bound and the certificates are read, as
// nginx's `user` directive does, and refusing to serve as root by accident.
#include <uringd/config/config.hpp>

namespace uringd::daemon {

// As root: switches every thread to [server] user (and group, else the user's own
// group) and checks the switch took (root cannot be regained). Refuses to continue as root unless
// allow_root = true. Not root: `user` is ignored (logged). Throws uringd::Error.
void drop_privileges(const config::ServerConfig& conf);

// As root with [server] user: the files the server reopens after the switch (access
// logs, on SIGUSR1 and at every reload) are given to that user, or the first reload
// would fail with "Permission denied" on a file root created. Throws uringd::Error.
void hand_over_files(const config::Config& conf);

}  // namespace uringd::daemon
