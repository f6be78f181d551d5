#pragma once
// Kernel-shared buffers of one ring: the provided-buffer ring that multishot recv
// fills, and the registered (fixed) buffers responses are built in.
#include <uringd/base/mapping.hpp>
#include <uringd/ring/ring.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace uringd::ring {

// A provided-buffer ring (IORING_REGISTER_PBUF_RING). The kernel picks a buffer per
// recv completion; the buffer is ours from that CQE until recycle(bid).
class ProvidedBuffers {
public:
    ProvidedBuffers(Ring& ring, uint16_t group, uint32_t count, uint32_t size);
    ProvidedBuffers(const ProvidedBuffers&) = delete;
    ProvidedBuffers& operator=(const ProvidedBuffers&) = delete;
    ~ProvidedBuffers();

    uint16_t group() const { return group_; }
    std::span<const char> data(uint16_t bid, std::size_t len) const {
        return {memory_.data() + std::size_t{bid} * size_, len};
    }
    // Hands buffer `bid` back to the kernel.
    void recycle(uint16_t bid);

private:
    Ring& ring_;
    uint16_t group_;
    uint32_t count_;
    uint32_t size_;
    Mapping ring_mem_;
    Mapping memory_;
    io_uring_buf_ring* br_;
};

// A received buffer kept because it could not be consumed yet: bytes [off, len)
// are still to be read. Move-only; hands the buffer back to the kernel when
// destroyed or reset, so a held buffer cannot be leaked or recycled twice.
class RecvLease {
public:
    RecvLease() = default;
    RecvLease(ProvidedBuffers* pool, uint16_t bid, uint32_t off, uint32_t len)
        : pool_(pool),
          bid_(bid),
          off_(off),
          len_(len) {}
    RecvLease(RecvLease&& o) noexcept { *this = std::move(o); }
    RecvLease& operator=(RecvLease&& o) noexcept;
    RecvLease(const RecvLease&) = delete;
    RecvLease& operator=(const RecvLease&) = delete;
    ~RecvLease() { reset(); }

    explicit operator bool() const { return pool_ != nullptr; }
    std::span<const char> rest() const { return pool_->data(bid_, len_).subspan(off_); }
    // `n` more bytes were read; true when none is left.
    bool consume(uint32_t n) {
        off_ += n;
        return off_ == len_;
    }
    void reset();

private:
    ProvidedBuffers* pool_ = nullptr;
    uint16_t bid_ = 0;
    uint32_t off_ = 0;
    uint32_t len_ = 0;
};

class FixedBufferPool;

// Exclusive use of one registered buffer. Move-only; returns the buffer to the pool
// when destroyed, but the pool keeps it out of circulation while the kernel still
// holds it (a SEND_ZC whose notification has not arrived).
class BufferLease {
public:
    BufferLease() = default;
    BufferLease(FixedBufferPool* pool, uint16_t index) : pool_(pool), index_(index) {}
    BufferLease(BufferLease&& o) noexcept;
    BufferLease& operator=(BufferLease&& o) noexcept;
    BufferLease(const BufferLease&) = delete;
    BufferLease& operator=(const BufferLease&) = delete;
    ~BufferLease() { reset(); }

    explicit operator bool() const { return pool_ != nullptr; }
    uint16_t index() const { return index_; }
    std::span<char> span() const;
    void reset();

private:
    FixedBufferPool* pool_ = nullptr;
    uint16_t index_ = 0;
};

// Registered buffers (io_uring_register_buffers), handed out as leases.
class FixedBufferPool {
public:
    FixedBufferPool(Ring& ring, uint32_t count, uint32_t size);
    FixedBufferPool(const FixedBufferPool&) = delete;
    FixedBufferPool& operator=(const FixedBufferPool&) = delete;

    // Empty when every buffer is leased or kernel-held; wait for a release.
    std::optional<BufferLease> acquire();
    // The kernel took / gave back a reference (SEND_ZC submit / its notification).
    void kernel_hold(uint16_t index) { ++holds_[index]; }
    void kernel_release(uint16_t index);

    uint32_t buffer_size() const { return size_; }
    uint32_t count() const { return static_cast<uint32_t>(leased_.size()); }
    std::size_t available() const { return free_.size(); }
    std::span<char> span(uint16_t index) const { return {memory_.data() + std::size_t{index} * size_, size_}; }

private:
    friend class BufferLease;
    void owner_release(uint16_t index);

    uint32_t size_;
    Mapping memory_;
    std::vector<uint16_t> free_;
    std::vector<uint32_t> holds_;
    std::vector<bool> leased_;
};

}  // namespace uringd::ring
