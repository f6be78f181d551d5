#pragma once
// One io_uring per worker: set-up with fallbacks, SQE supply, CQE drain.
// Created and used by a single thread (IORING_SETUP_SINGLE_ISSUER where possible).
#include <liburing.h>

#include <cstdint>
#include <string>
#include <vector>

namespace uringd::ring {

struct RingOptions {
    unsigned entries = 1024;
    bool sqpoll = false;
    unsigned sqpoll_idle_ms = 1000;
    int attach_wq_fd = -1;  // share this ring's SQPOLL thread (IORING_SETUP_ATTACH_WQ)
    unsigned iowq_max_bounded = 0;
    unsigned iowq_max_unbounded = 0;
    // Created disabled (IORING_SETUP_R_DISABLED): registrations may follow, and
    // nothing runs until enable() — which may first restrict the ring.
    bool start_disabled = false;
    // Completion batching: a wait takes up to this long for the CQEs it asks for,
    // then returns with whatever is there (Linux 6.12's min_wait_usec; 0 = off).
    // Older kernels and SQPOLL rings refuse it: they wait for one CQE as before.
    unsigned batch_wait_us = 0;
};

// What an enabled ring may still do (IORING_REGISTER_RESTRICTIONS): every other
// opcode, SQE flag and io_uring_register operation fails with EACCES.
struct Restrictions {
    std::vector<uint8_t> opcodes;       // IORING_OP_*
    std::vector<uint8_t> register_ops;  // IORING_REGISTER_* / IORING_UNREGISTER_*
    uint8_t sqe_flags = 0;              // IOSQE_* allowed (none required)
};

class Ring {
public:
    // Tries the fastest flag set the kernel accepts and falls back (see ring.cpp).
    // Throws uringd::Error with a hint when io_uring is unavailable.
    explicit Ring(const RingOptions& opts);
    Ring(const Ring&) = delete;
    Ring& operator=(const Ring&) = delete;
    ~Ring();

    // For a ring made with start_disabled: installs `r` (null: none), then enables
    // the ring from the calling thread (with SINGLE_ISSUER it becomes the submitter).
    void enable(const Restrictions* r);
    // A zeroed SQE; submits pending ones first when the SQ is full. Never null.
    io_uring_sqe* sqe();
    // Makes room for `n` SQEs in a row (a linked chain must go in one submit).
    void reserve(unsigned n);
    // Submits and waits for at least one CQE or `timeout_ms`; with batch_wait_us, for
    // `completions` CQEs or that long first. Returns -errno or >= 0.
    int submit_and_wait(int timeout_ms, unsigned completions = 1);
    int submit();

    // Calls on_cqe(const io_uring_cqe&) for every ready CQE, then marks them seen.
    template <typename F>
    unsigned drain(F&& on_cqe) {
        unsigned head, n = 0;
        io_uring_cqe* cqe;
        io_uring_for_each_cqe(&ring_, head, cqe) {
            on_cqe(*cqe);
            ++n;
        }
        io_uring_cq_advance(&ring_, n);
        return n;
    }

    // Registers the calling thread's current credentials; the id goes in
    // sqe->personality. Returns the id, or -errno.
    int register_personality() { return io_uring_register_personality(&ring_); }
    bool sqpoll() const { return (ring_.flags & IORING_SETUP_SQPOLL) != 0; }

    io_uring* raw() { return &ring_; }
    int fd() const { return ring_.ring_fd; }
    // e.g. "sqpoll(shared) " or "single_issuer|defer_taskrun": what set-up took.
    const std::string& mode() const { return mode_; }

private:
    int enter_batched(const __kernel_timespec& ts, unsigned completions);

    io_uring ring_{};
    std::string mode_;
    unsigned batch_wait_us_ = 0;  // 0 unless asked for and this ring can
};

// Which opcodes this kernel supports (for --version and start-up checks).
struct Features {
    bool openat2, statx, splice, send_zc, read_fixed, accept, provide_buffers;
    std::string describe() const;
};
Features probe_features();

}  // namespace uringd::ring
