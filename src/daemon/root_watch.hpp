#pragma once
// Site roots switched by symlink (`ln -sfn /srv/www-2 /srv/www.next && mv -T
// /srv/www.next /srv/www`): a generation serves the directory its root path led to
// when it started, so when the path leads elsewhere, uringd reloads by itself, as
// nginx and Caddy follow such a switch without being told.
#include <uringd/server/context.hpp>

#include <sys/types.h>

#include <string>
#include <vector>

namespace uringd::daemon {

class RootWatcher {
public:
    RootWatcher() = default;  // watches nothing
    // The directories `ctx`'s sites serve (their open roots) and the paths that named them.
    explicit RootWatcher(const server::ServerContext& ctx);

    bool active() const { return !roots_.empty(); }
    // Called about once a second from the main thread: the path of a root that now
    // leads to another directory, seen so on two looks in a row (a tree being put in
    // place is not caught half-way); empty when none.
    std::string poll();

private:
    struct Identity {
        dev_t dev = 0;
        ino_t ino = 0;
        bool operator==(const Identity&) const = default;
    };
    struct Root {
        std::string path;
        Identity served;
        Identity seen;  // what the path led to at the last look, when not `served`
    };
    std::vector<Root> roots_;
};

}  // namespace uringd::daemon
