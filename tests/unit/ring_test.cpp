// The worker's ring restrictions, enforced by this kernel: allowed opcodes run,
// anything else (other opcodes, SQE flags, registrations) fails with EACCES.
#include <uringd/ring/ring.hpp>
#include <uringd/server/worker.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>

namespace {

using uringd::ring::Ring;
using uringd::ring::RingOptions;

struct RestrictedRing : ::testing::Test {
    Ring ring{RingOptions{.entries = 8, .start_disabled = true}};
    std::array<int, 2> pipe_fds{-1, -1};
    char buf[16]{};

    void SetUp() override {
        ASSERT_EQ(::pipe2(pipe_fds.data(), O_CLOEXEC), 0);
        ASSERT_EQ(::write(pipe_fds[1], "hello", 5), 5);
        ring.enable(&uringd::server::worker_ring_restrictions());
    }
    void TearDown() override {
        ::close(pipe_fds[0]);
        ::close(pipe_fds[1]);
    }
    // Submits the one prepared SQE and returns its completion's result.
    int complete() {
        EXPECT_EQ(ring.submit_and_wait(1000), 1);
        int res = 1;
        EXPECT_EQ(ring.drain([&](const io_uring_cqe& c) { res = c.res; }), 1u);
        return res;
    }
};

TEST_F(RestrictedRing, AllowedOpcodeRuns) {
    io_uring_prep_read(ring.sqe(), pipe_fds[0], buf, sizeof buf, 0);
    EXPECT_EQ(complete(), 5);
}

TEST_F(RestrictedRing, ForbiddenOpcodesAreRefused) {
    io_uring_prep_write(ring.sqe(), pipe_fds[1], "x", 1, 0);
    EXPECT_EQ(complete(), -EACCES);
    io_uring_prep_openat(ring.sqe(), AT_FDCWD, "/etc/passwd", O_RDONLY, 0);  // openat2 only, with RESOLVE_BENEATH
    EXPECT_EQ(complete(), -EACCES);
    io_uring_prep_unlinkat(ring.sqe(), AT_FDCWD, "/tmp/uringd-never", 0);
    EXPECT_EQ(complete(), -EACCES);
    io_uring_prep_connect(ring.sqe(), 0, nullptr, 0);
    EXPECT_EQ(complete(), -EACCES);
    io_uring_prep_nop(ring.sqe());
    EXPECT_EQ(complete(), -EACCES);
}

TEST_F(RestrictedRing, ForbiddenSqeFlagIsRefused) {
    io_uring_sqe* sqe = ring.sqe();
    io_uring_prep_read(sqe, pipe_fds[0], buf, sizeof buf, 0);
    sqe->flags |= IOSQE_ASYNC;
    EXPECT_EQ(complete(), -EACCES);
}

TEST_F(RestrictedRing, RegistrationsAreRefused) {
    iovec iov{buf, sizeof buf};
    EXPECT_EQ(io_uring_register_buffers(ring.raw(), &iov, 1), -EACCES);
    EXPECT_EQ(io_uring_register_files(ring.raw(), pipe_fds.data(), 1), -EACCES);
    EXPECT_EQ(io_uring_register_personality(ring.raw()), -EACCES);
}

TEST(Ring, DisabledRingRunsNothingUntilEnabled) {
    Ring ring{RingOptions{.entries = 8, .start_disabled = true}};
    io_uring_prep_nop(ring.sqe());
    EXPECT_EQ(ring.submit(), -EBADFD);
}

// A batched wait asks for more completions than will come: it returns with the one
// there is once batch_wait_us has passed, not at the end of the whole timeout; and
// it submits what was queued in the same call.
TEST(Ring, BatchedWaitReturnsWhatCameAfterTheMinimumWait) {
    Ring ring{RingOptions{.entries = 8, .batch_wait_us = 2000}};
    if (ring.mode().find("batch_wait=2000us") == std::string::npos)
        GTEST_SKIP() << "kernel without min_wait (Linux 6.12): " << ring.mode();
    io_uring_prep_nop(ring.sqe());
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(ring.submit_and_wait(10000, 8), 1);  // submitted one
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    EXPECT_EQ(ring.drain([](const io_uring_cqe& c) { EXPECT_EQ(c.res, 0); }), 1u);
    // Nothing in flight: the wait ends at its timeout, not an error.
    EXPECT_EQ(ring.submit_and_wait(10, 8), 0);
}

}  // namespace
