#include <uringd/base/block_pool.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace uringd {
namespace {

bool aligned(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % BlockPool::kGranule == 0; }

TEST(BlockPool, BlocksAreAlignedAndHoldWhatWasAsked) {
    BlockPool pool;
    std::vector<void*> blocks;
    for (std::size_t size : {0U, 1U, 15U, 16U, 17U, 100U, 511U, 512U, 513U, 4096U, 1U << 20}) {
        void* p = pool.allocate(size);
        ASSERT_NE(p, nullptr);
        EXPECT_TRUE(aligned(p)) << size;
        std::memset(p, 0xab, size);
        blocks.push_back(p);
    }
    for (void* p : blocks) pool.release(p);
}

TEST(BlockPool, AReleasedBlockIsReusedForItsClass) {
    if (BlockPool::kKeptPerClass == 0) GTEST_SKIP() << "nothing is kept under AddressSanitizer";
    BlockPool pool;
    void* a = pool.allocate(40);  // the 48-byte class
    pool.release(a);
    EXPECT_EQ(pool.kept(), 1U);
    EXPECT_EQ(pool.allocate(33), a);  // same class
    EXPECT_EQ(pool.kept(), 0U);
    void* other = pool.allocate(64);  // another class: a fresh block
    EXPECT_NE(other, a);
    pool.release(a);
    pool.release(other);
}

TEST(BlockPool, LargeBlocksAreNotKept) {
    BlockPool pool;
    pool.release(pool.allocate(BlockPool::kMaxPooled + 1));
    EXPECT_EQ(pool.kept(), 0U);
    pool.release(nullptr);  // as free(nullptr)
}

TEST(BlockPool, KeepsAtMostKeptPerClass) {
    BlockPool pool;
    std::vector<void*> blocks;
    for (uint32_t i = 0; i < BlockPool::kKeptPerClass + 10; ++i) blocks.push_back(pool.allocate(24));
    for (void* p : blocks) pool.release(p);
    EXPECT_EQ(pool.kept(), BlockPool::kKeptPerClass);
}

TEST(BlockPool, ReallocateKeepsTheBytes) {
    BlockPool pool;
    auto* p = static_cast<unsigned char*>(pool.reallocate(nullptr, 10));  // as malloc
    for (int i = 0; i < 10; ++i) p[i] = static_cast<unsigned char>(i);
    EXPECT_EQ(pool.reallocate(p, 16), p);                             // fits its block: in place
    auto* q = static_cast<unsigned char*>(pool.reallocate(p, 3000));  // pooled to large
    ASSERT_NE(q, nullptr);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(q[i], i);
    q[2999] = 7;
    auto* r = static_cast<unsigned char*>(pool.reallocate(q, 100000));  // large to large
    ASSERT_NE(r, nullptr);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(r[i], i);
    EXPECT_EQ(r[2999], 7);
    pool.release(r);
}

}  // namespace
}  // namespace uringd
