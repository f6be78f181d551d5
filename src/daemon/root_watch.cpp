#include "root_watch.hpp"

#include <sys/stat.h>

namespace uringd::daemon {

RootWatcher::RootWatcher(const server::ServerContext& ctx) {
    for (const server::Site& site : ctx.sites) {
        struct stat st {};
        if (::fstat(site.root.get(), &st) < 0) continue;
        roots_.push_back({site.conf.root, {st.st_dev, st.st_ino}, {}});
    }
}

std::string RootWatcher::poll() {
    for (Root& r : roots_) {
        struct stat st {};
        // stat() follows the symlink. A path that leads nowhere (mid-switch, or
        // removed) changes nothing: the served directory is still open.
        if (::stat(r.path.c_str(), &st) < 0 || !S_ISDIR(st.st_mode)) continue;
        const Identity now{st.st_dev, st.st_ino};
        if (now == r.served) {
            r.seen = {};
            continue;
        }
        if (now != r.seen) {
            r.seen = now;
            continue;
        }
        // Reported once: a reload that fails (the conf broken meanwhile) is not
        // retried every second; a successful one builds a new watcher.
        r.served = now;
        r.seen = {};
        return r.path;
    }
    return {};
}

}  // namespace uringd::daemon
