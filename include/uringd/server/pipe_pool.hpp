#pragma once
// Per-worker pool of pipes for splice (file → pipe → socket). A pipe per connection
// would hit pipe-user-pages-soft near a thousand connections; a pipe is held only
// while a body is being spliced.
#include <uringd/base/unique_fd.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace uringd::server {

struct Pipe {
    UniqueFd read_end;
    UniqueFd write_end;
};

class PipePool {
public:
    PipePool(uint32_t wanted_size, uint32_t max_pipes);

    // A pipe index, creating a pipe when none is free; empty on EMFILE and the like
    // (the errno is in last_error()).
    std::optional<uint32_t> acquire();
    // `dirty`: bytes may remain in it, so it is destroyed instead of reused.
    void release(uint32_t index, bool dirty);
    const Pipe& get(uint32_t index) const { return pipes_[index]; }
    // Capacity of the pipes (what F_SETPIPE_SZ granted).
    uint32_t capacity() const { return capacity_; }
    int last_error() const { return last_error_; }

private:
    std::vector<Pipe> pipes_;
    std::vector<uint32_t> free_;
    uint32_t wanted_size_;
    uint32_t capacity_ = 65536;
    int last_error_ = 0;
};

}  // namespace uringd::server
