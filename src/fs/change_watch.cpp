#include <uringd/fs/change_watch.hpp>

#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

namespace uringd::fs {

namespace {

// What makes a cached entry stale: its content or metadata, or the name itself
// (created, deleted, renamed in or out). The directory's own end drops everything.
constexpr uint32_t kMask = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM |
                           IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

std::string name_of(std::string_view prefix, std::string_view dir) {
    std::string n(prefix);
    n += '\0';
    n += dir;
    return n;
}

}  // namespace

std::string_view parent_dir(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

ChangeWatch::ChangeWatch(bool on, std::size_t max_dirs)
    : fd_(on ? ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC) : -1),
      error_(on && !fd_ ? errno : 0),
      max_dirs_(max_dirs) {}

// The directory and each parent up to the root: a parent renamed or deleted takes
// everything below it along, and a directory not there yet shows when it appears.
// Parents are watched after their child, so a watched directory's are too.
void ChangeWatch::watch(std::string_view prefix, int root_fd, std::string_view dir) {
    if (!fd_) return;
    for (;;) {
        if (names_.contains(name_of(prefix, dir)) || !add(prefix, root_fd, dir) || dir.empty()) return;
        dir = parent_dir(dir);
    }
}

// False when no more directories may be watched.
bool ChangeWatch::add(std::string_view prefix, int root_fd, std::string_view dir) {
    if (names_.size() >= max_dirs_) return false;
    // The root's descriptor names it whatever its path: its /proc link resolves there.
    std::string path = "/proc/self/fd/" + std::to_string(root_fd);
    if (!dir.empty()) path.append("/").append(dir);
    const int wd = ::inotify_add_watch(fd_.get(), path.c_str(), kMask);
    if (wd < 0 && (errno == ENOENT || errno == ENOTDIR)) return true;  // not there (yet)
    // Refused otherwise (no permission, the kernel's watch limit): not asked again.
    names_.insert(name_of(prefix, dir));
    if (wd >= 0) by_wd_[wd].push_back({std::string(prefix), std::string(dir)});
    return true;
}

std::vector<ChangeWatch::Change> ChangeWatch::read_changes() {
    std::vector<Change> out;
    if (!fd_) return out;
    alignas(inotify_event) std::array<char, 4096> buf;
    // A bounded batch: a tree written to without pause cannot hold the worker here.
    // What is left is read with the next event (and valid_ms bounds it meanwhile).
    for (int reads = 0; reads < 16; ++reads) {
        const ssize_t n = ::read(fd_.get(), buf.data(), buf.size());
        if (n <= 0) break;  // EAGAIN: all read
        for (ssize_t off = 0; off < n;) {
            inotify_event ev{};
            std::memcpy(&ev, buf.data() + off, sizeof ev);
            const char* name = buf.data() + off + sizeof ev;
            off += static_cast<ssize_t>(sizeof ev + ev.len);
            if (ev.mask & IN_Q_OVERFLOW) {
                out.push_back({{}, {}, {}, true});
                continue;
            }
            const auto it = by_wd_.find(ev.wd);
            if (it == by_wd_.end()) continue;
            // A directory created, deleted or renamed: whatever was cached below it.
            const bool everything =
                (ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) != 0 ||
                ((ev.mask & IN_ISDIR) && (ev.mask & (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)));
            for (const Dir& d : it->second)
                out.push_back({d.prefix, d.dir, ev.len > 0 ? std::string(name) : std::string(), everything});
            if (ev.mask & IN_IGNORED) {  // the watch is gone (its directory was deleted)
                for (const Dir& d : it->second) names_.erase(name_of(d.prefix, d.dir));
                by_wd_.erase(it);
            }
        }
    }
    return out;
}

}  // namespace uringd::fs
