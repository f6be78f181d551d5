#pragma once
// Which directory entries changed on disk, so the open-file cache drops them at once
// instead of serving them for up to [cache] valid_ms: one inotify instance per
// worker and a watch per directory that holds a cached entry. The caller names each
// directory by a prefix of its own (the site) and its path below a root; events come
// back in those terms. Reads are non-blocking: the worker polls fd() on its ring.
#include <uringd/base/unique_fd.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace uringd::fs {

class ChangeWatch {
public:
    // Off (no inotify instance) when `on` is false, as with the cache disabled.
    // Watches at most `max_dirs` directories; past that, entries rely on valid_ms.
    explicit ChangeWatch(bool on = true, std::size_t max_dirs = 4096);
    ChangeWatch(const ChangeWatch&) = delete;
    ChangeWatch& operator=(const ChangeWatch&) = delete;

    // -1 when off, or when the kernel gave no inotify instance (error() says why):
    // then nothing is watched.
    int fd() const { return fd_.get(); }
    int error() const { return error_; }
    std::size_t watched() const { return names_.size(); }

    // Watches directory `dir` (relative to `root_fd`, an O_PATH directory; "" is the
    // root) and its parents for the caller's `prefix`.
    void watch(std::string_view prefix, int root_fd, std::string_view dir);

    struct Change {
        std::string prefix;
        std::string dir;          // as watched
        std::string entry;        // the name inside it that changed
        bool everything = false;  // a directory came or went, or events were lost: trust nothing
    };
    // The changes queued since the last call (empty when none).
    std::vector<Change> read_changes();

private:
    struct Dir {
        std::string prefix;
        std::string dir;
    };
    bool add(std::string_view prefix, int root_fd, std::string_view dir);

    UniqueFd fd_;
    int error_ = 0;
    std::size_t max_dirs_;
    std::unordered_map<int, std::vector<Dir>> by_wd_;  // two sites may share a directory
    std::unordered_set<std::string> names_;            // prefix + '\0' + dir, for each watched
};

// The directory part of a root-relative path ("a/b/c.txt" → "a/b", "c.txt" → "").
std::string_view parent_dir(std::string_view path);

}  // namespace uringd::fs
