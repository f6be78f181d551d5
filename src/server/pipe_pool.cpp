#include <uringd/server/pipe_pool.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <spdlog/spdlog.h>

namespace uringd::server {

PipePool::PipePool(uint32_t wanted_size, uint32_t max_pipes) : wanted_size_(wanted_size) {
    pipes_.reserve(max_pipes);
    free_.reserve(max_pipes);
    // Learn the granted capacity once, from a first pipe.
    if (auto first = take()) release(*first, false);
}

PipeLease::PipeLease(PipeLease&& o) noexcept
    : fill(std::exchange(o.fill, 0)),
      pool_(std::exchange(o.pool_, nullptr)),
      index_(o.index_) {}

PipeLease& PipeLease::operator=(PipeLease&& o) noexcept {
    if (this != &o) {
        reset();
        fill = std::exchange(o.fill, 0);
        pool_ = std::exchange(o.pool_, nullptr);
        index_ = o.index_;
    }
    return *this;
}

const Pipe& PipeLease::pipe() const { return pool_->pipes_[index_]; }

void PipeLease::reset() {
    if (pool_) pool_->release(index_, fill > 0);
    pool_ = nullptr;
    fill = 0;
}

std::optional<PipeLease> PipePool::acquire() {
    const auto index = take();
    if (!index) return std::nullopt;
    return PipeLease(this, *index);
}

std::optional<uint32_t> PipePool::take() {
    if (!free_.empty()) {
        const uint32_t i = free_.back();
        free_.pop_back();
        return i;
    }
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) {
        last_error_ = errno;
        return std::nullopt;
    }
    Pipe p{UniqueFd(fds[0]), UniqueFd(fds[1])};
    // F_SETPIPE_SZ above /proc/sys/fs/pipe-max-size fails for unprivileged users;
    // the pipe then keeps its default size.
    const int granted = ::fcntl(fds[1], F_SETPIPE_SZ, static_cast<int>(wanted_size_));
    if (granted > 0 && pipes_.empty()) capacity_ = static_cast<uint32_t>(granted);
    if (granted < 0 && pipes_.empty()) {
        spdlog::warn("F_SETPIPE_SZ {}: {}; using {}-byte pipes", wanted_size_, std::strerror(errno),
                     ::fcntl(fds[1], F_GETPIPE_SZ));
        capacity_ = static_cast<uint32_t>(::fcntl(fds[1], F_GETPIPE_SZ));
    }
    if (pipes_.size() == pipes_.capacity()) {  // never grow past the reserved count
        last_error_ = EMFILE;
        return std::nullopt;
    }
    pipes_.push_back(std::move(p));
    return static_cast<uint32_t>(pipes_.size() - 1);
}

void PipePool::release(uint32_t index, bool dirty) {
    if (dirty) {
        // Leftover bytes would corrupt the next body: replace the pipe.
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) < 0) {
            pipes_[index] = Pipe{};
            return;  // the slot stays unused; acquire() makes new pipes elsewhere
        }
        ::fcntl(fds[1], F_SETPIPE_SZ, static_cast<int>(capacity_));
        pipes_[index] = Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
    }
    free_.push_back(index);
}

}  // namespace uringd::server
