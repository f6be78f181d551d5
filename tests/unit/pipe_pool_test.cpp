// Pipe leases: returned on destruction and on move-assignment, replaced when
// returned with bytes in them (a later body must never see another's bytes).
#include <uringd/server/pipe_pool.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace uringd::server {
namespace {

TEST(PipePool, LeaseReturnsThePipeForReuse) {
    PipePool pool(65536, 4);
    int fd = -1;
    {
        auto lease = pool.acquire();
        ASSERT_TRUE(lease);
        fd = lease->pipe().read_end.get();
    }
    auto again = pool.acquire();
    ASSERT_TRUE(again);
    EXPECT_EQ(again->pipe().read_end.get(), fd);
}

TEST(PipePool, DirtyPipeIsReplacedNotReused) {
    PipePool pool(65536, 4);
    {
        auto lease = pool.acquire();
        ASSERT_TRUE(lease);
        ASSERT_EQ(::write(lease->pipe().write_end.get(), "left", 4), 4);
        lease->fill = 4;
    }
    auto again = pool.acquire();
    ASSERT_TRUE(again);
    char byte;
    // Empty and non-blocking check: a fresh pipe has nothing to read.
    EXPECT_EQ(::fcntl(again->pipe().read_end.get(), F_SETFL, O_NONBLOCK), 0);
    EXPECT_EQ(::read(again->pipe().read_end.get(), &byte, 1), -1);
    EXPECT_EQ(errno, EAGAIN);
}

TEST(PipePool, MoveAssignmentReturnsTheOldLease) {
    PipePool pool(65536, 2);
    auto a = pool.acquire();
    auto b = pool.acquire();
    ASSERT_TRUE(a && b);
    EXPECT_FALSE(pool.acquire());  // both taken: the pool never grows past its size
    PipeLease held = std::move(*a);
    held = std::move(*b);  // the first goes back
    EXPECT_TRUE(pool.acquire());
    EXPECT_FALSE(*a);
}

}  // namespace
}  // namespace uringd::server
