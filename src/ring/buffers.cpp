#include <uringd/base/error.hpp>
#include <uringd/ring/buffers.hpp>

#include <sys/uio.h>

#include <cassert>
#include <utility>

namespace uringd::ring {

namespace {
std::size_t page_round(std::size_t n) { return (n + 4095) & ~std::size_t{4095}; }
}  // namespace

ProvidedBuffers::ProvidedBuffers(Ring& ring, uint16_t group, uint32_t count, uint32_t size)
    : ring_(ring),
      group_(group),
      count_(count),
      size_(size),
      ring_mem_(page_round(count * sizeof(io_uring_buf))),
      memory_(page_round(std::size_t{count} * size)),
      br_(reinterpret_cast<io_uring_buf_ring*>(ring_mem_.data())) {
    // liburing 2.3 has no io_uring_setup_buf_ring: map the ring (zeroed: tail = 0)
    // ourselves and register it.
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<uint64_t>(br_);
    reg.ring_entries = count;
    reg.bgid = group;
    if (const int r = io_uring_register_buf_ring(ring.raw(), &reg, 0); r < 0)
        throw_errno(-r, "io_uring_register_buf_ring");
    const int mask = io_uring_buf_ring_mask(count);
    for (uint32_t i = 0; i < count; ++i)
        io_uring_buf_ring_add(br_, memory_.data() + std::size_t{i} * size, size, static_cast<uint16_t>(i), mask,
                              static_cast<int>(i));
    io_uring_buf_ring_advance(br_, static_cast<int>(count));
}

ProvidedBuffers::~ProvidedBuffers() { io_uring_unregister_buf_ring(ring_.raw(), group_); }

RecvLease& RecvLease::operator=(RecvLease&& o) noexcept {
    if (this != &o) {
        reset();
        pool_ = std::exchange(o.pool_, nullptr);
        bid_ = o.bid_;
        off_ = o.off_;
        len_ = o.len_;
    }
    return *this;
}

void RecvLease::reset() {
    if (pool_) pool_->recycle(bid_);
    pool_ = nullptr;
}

void ProvidedBuffers::recycle(uint16_t bid) {
    io_uring_buf_ring_add(br_, memory_.data() + std::size_t{bid} * size_, size_, bid, io_uring_buf_ring_mask(count_),
                          0);
    io_uring_buf_ring_advance(br_, 1);
}

BufferLease::BufferLease(BufferLease&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)), index_(o.index_) {}

BufferLease& BufferLease::operator=(BufferLease&& o) noexcept {
    if (this != &o) {
        reset();
        pool_ = std::exchange(o.pool_, nullptr);
        index_ = o.index_;
    }
    return *this;
}

std::span<char> BufferLease::span() const { return pool_->span(index_); }

void BufferLease::reset() {
    if (pool_) std::exchange(pool_, nullptr)->owner_release(index_);
}

FixedBufferPool::FixedBufferPool(Ring& ring, uint32_t count, uint32_t size)
    : size_(size),
      memory_(page_round(std::size_t{count} * size)),
      holds_(count, 0),
      leased_(count, false) {
    std::vector<iovec> iov(count);
    for (uint32_t i = 0; i < count; ++i) iov[i] = {memory_.data() + std::size_t{i} * size, size};
    if (const int r = io_uring_register_buffers(ring.raw(), iov.data(), count); r < 0) {
        if (r == -ENOMEM)
            fail(
                "io_uring_register_buffers: {} × {} bytes exceed the locked-memory limit; raise "
                "LimitMEMLOCK (ulimit -l) or lower io_uring.fixed_buffers",
                count, size);
        throw_errno(-r, "io_uring_register_buffers");
    }
    free_.reserve(count);
    for (uint32_t i = count; i-- > 0;) free_.push_back(static_cast<uint16_t>(i));
}

std::optional<BufferLease> FixedBufferPool::acquire() {
    if (free_.empty()) return std::nullopt;
    const uint16_t i = free_.back();
    free_.pop_back();
    leased_[i] = true;
    return BufferLease(this, i);
}

void FixedBufferPool::owner_release(uint16_t index) {
    assert(leased_[index]);
    leased_[index] = false;
    if (holds_[index] == 0) free_.push_back(index);
}

void FixedBufferPool::kernel_release(uint16_t index) {
    assert(holds_[index] > 0);
    if (--holds_[index] == 0 && !leased_[index]) free_.push_back(index);
}

}  // namespace uringd::ring
