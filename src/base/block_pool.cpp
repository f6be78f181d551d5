#include <uringd/base/block_pool.hpp>

#include <cstdlib>
#include <cstring>

namespace uringd {
namespace {

// Before each block: how many bytes it holds, which also names its class.
struct alignas(BlockPool::kGranule) Header {
    std::size_t capacity;
};
static_assert(sizeof(Header) == BlockPool::kGranule);

Header* header_of(void* block) { return static_cast<Header*>(block) - 1; }

std::size_t rounded(std::size_t size) {
    return size == 0 ? BlockPool::kGranule
                     : (size + BlockPool::kGranule - 1) / BlockPool::kGranule * BlockPool::kGranule;
}

void* fresh(std::size_t capacity) {
    if (capacity > SIZE_MAX - sizeof(Header)) return nullptr;
    auto* h = static_cast<Header*>(std::malloc(sizeof(Header) + capacity));  // NOLINT(*-no-malloc,*-owning-memory)
    if (h == nullptr) return nullptr;
    h->capacity = capacity;
    return h + 1;
}

}  // namespace

BlockPool::~BlockPool() {
    for (Free* f : free_) {
        while (f != nullptr) {
            Free* next = f->next;
            std::free(header_of(f));  // NOLINT(*-no-malloc,*-owning-memory)
            f = next;
        }
    }
}

void* BlockPool::allocate(std::size_t size) {
    const std::size_t capacity = size > kMaxPooled ? size : rounded(size);
    if (capacity > kMaxPooled) return fresh(capacity);
    const std::size_t c = capacity / kGranule - 1;
    if (Free* f = free_[c]) {
        free_[c] = f->next;
        --count_[c];
        return f;
    }
    return fresh(capacity);
}

void BlockPool::release(void* block) {
    if (block == nullptr) return;
    const std::size_t capacity = header_of(block)->capacity;
    const std::size_t c = capacity / kGranule - 1;
    if (capacity > kMaxPooled || count_[c] >= kKeptPerClass) {
        std::free(header_of(block));  // NOLINT(*-no-malloc,*-owning-memory)
        return;
    }
    auto* f = static_cast<Free*>(block);
    f->next = free_[c];
    free_[c] = f;
    ++count_[c];
}

void* BlockPool::reallocate(void* block, std::size_t size) {
    if (block == nullptr) return allocate(size);
    const std::size_t capacity = header_of(block)->capacity;
    if (size <= capacity) return block;
    void* grown = allocate(size);
    if (grown == nullptr) return nullptr;
    std::memcpy(grown, block, capacity);
    release(block);
    return grown;
}

std::size_t BlockPool::kept() const {
    std::size_t n = 0;
    for (const uint32_t c : count_) n += c;
    return n;
}

}  // namespace uringd
