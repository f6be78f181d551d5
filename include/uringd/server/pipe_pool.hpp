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

class PipePool;

// One pipe of the pool, held while a body is spliced through it. `fill` counts the
// bytes sitting in it: a pipe returned with bytes in it is replaced, not reused.
// Move-only; returns the pipe on destruction. Must not outlive its pool, nor be
// released while a splice on it is in flight (the connection's inflight count).
class PipeLease {
public:
    PipeLease() = default;
    PipeLease(PipePool* pool, uint32_t index) : pool_(pool), index_(index) {}
    PipeLease(PipeLease&& o) noexcept;
    PipeLease& operator=(PipeLease&& o) noexcept;
    PipeLease(const PipeLease&) = delete;
    PipeLease& operator=(const PipeLease&) = delete;
    ~PipeLease() { reset(); }

    explicit operator bool() const { return pool_ != nullptr; }
    const Pipe& pipe() const;
    void reset();

    uint32_t fill = 0;

private:
    PipePool* pool_ = nullptr;
    uint32_t index_ = 0;
};

class PipePool {
public:
    PipePool(uint32_t wanted_size, uint32_t max_pipes);
    PipePool(const PipePool&) = delete;
    PipePool& operator=(const PipePool&) = delete;

    // A pipe, created when none is free; empty on EMFILE and the like (the errno is
    // in last_error()).
    std::optional<PipeLease> acquire();
    // Capacity of the pipes (what F_SETPIPE_SZ granted).
    uint32_t capacity() const { return capacity_; }
    int last_error() const { return last_error_; }

private:
    friend class PipeLease;
    std::optional<uint32_t> take();
    // `dirty`: bytes may remain in it, so it is destroyed instead of reused.
    void release(uint32_t index, bool dirty);

    std::vector<Pipe> pipes_;
    std::vector<uint32_t> free_;
    uint32_t wanted_size_;
    uint32_t capacity_ = 65536;
    int last_error_ = 0;
};

}  // namespace uringd::server
