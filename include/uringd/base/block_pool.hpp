#pragma once
// Small blocks kept for reuse by size class, for one thread. nghttp2 allocates and
// frees a few small objects for every stream (the stream, its outbound frames, a
// copy of the response fields), and glibc's malloc and free for them cost about as
// much as our own per-stream work. Blocks above kMaxPooled come from malloc each
// time. Not thread-safe: one pool per worker.
#include <array>
#include <cstddef>
#include <cstdint>

#if defined(__SANITIZE_ADDRESS__)
#define URINGD_BLOCK_POOL_KEEPS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define URINGD_BLOCK_POOL_KEEPS 0
#endif
#endif
#ifndef URINGD_BLOCK_POOL_KEEPS
#define URINGD_BLOCK_POOL_KEEPS 1
#endif

namespace uringd {

class BlockPool {
public:
    static constexpr std::size_t kGranule = 16;     // every block is 16-byte aligned
    static constexpr std::size_t kMaxPooled = 512;  // larger blocks are not kept
    // A burst's leftovers go back to malloc. Under AddressSanitizer nothing is
    // kept, so a use after free inside the pool's users is still caught.
    static constexpr uint32_t kKeptPerClass = URINGD_BLOCK_POOL_KEEPS ? 256 : 0;

    BlockPool() = default;
    ~BlockPool();
    BlockPool(const BlockPool&) = delete;
    BlockPool& operator=(const BlockPool&) = delete;

    // As malloc, realloc and free: null when memory runs out (a failed reallocate
    // leaves the old block as it was); allocate(0) gives a unique block.
    void* allocate(std::size_t size);
    void* reallocate(void* block, std::size_t size);
    void release(void* block);

    // Blocks kept for reuse now (all classes).
    std::size_t kept() const;

private:
    struct Free {
        Free* next;
    };
    static constexpr std::size_t kClasses = kMaxPooled / kGranule;
    std::array<Free*, kClasses> free_{};
    std::array<uint32_t, kClasses> count_{};
};

}  // namespace uringd
