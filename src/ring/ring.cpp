#include <uringd/base/error.hpp>
#include <uringd/ring/ring.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <vector>

namespace uringd::ring {

namespace {

constexpr unsigned kFeatMinTimeout = 1U << 15;  // IORING_FEAT_MIN_TIMEOUT, Linux 6.12; not in liburing 2.3

struct Attempt {
    unsigned flags;
    const char* name;
};

std::vector<Attempt> attempts(const RingOptions& o) {
    if (o.sqpoll) {
        if (o.attach_wq_fd >= 0)
            return {{IORING_SETUP_SQPOLL | IORING_SETUP_ATTACH_WQ | IORING_SETUP_SINGLE_ISSUER,
                     "sqpoll(shared)|single_issuer"},
                    {IORING_SETUP_SQPOLL | IORING_SETUP_ATTACH_WQ, "sqpoll(shared)"},
                    {IORING_SETUP_SQPOLL, "sqpoll"},
                    {0, "plain"}};
        return {{IORING_SETUP_SQPOLL | IORING_SETUP_SINGLE_ISSUER, "sqpoll|single_issuer"},
                {IORING_SETUP_SQPOLL, "sqpoll"},
                {0, "plain"}};
    }
    // DEFER_TASKRUN runs completions only when we wait: no interrupts of the worker.
    return {{IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, "single_issuer|defer_taskrun"},
            {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN, "single_issuer|coop_taskrun"},
            {IORING_SETUP_COOP_TASKRUN, "coop_taskrun"},
            {0, "plain"}};
}

[[noreturn]] void setup_failed(int err) {
    if (err == EPERM || err == EACCES)
        fail(
            "io_uring_setup: {} — io_uring is disabled on this host: set sysctl "
            "kernel.io_uring_disabled=0 (or add this user to kernel.io_uring_group) and allow "
            "io_uring_setup/io_uring_enter/io_uring_register in any seccomp filter",
            std::strerror(err));
    if (err == ENOSYS)
        fail(
            "io_uring_setup: {} — this kernel lacks io_uring (needs Linux 6.1 or later) or a seccomp "
            "filter hides it: allow io_uring_setup/io_uring_enter/io_uring_register",
            std::strerror(err));
    if (err == ENOMEM)
        fail("io_uring_setup: {} — raise the memlock limit (LimitMEMLOCK=) or lower io_uring.entries",
             std::strerror(err));
    throw_errno(err, "io_uring_setup");
}

}  // namespace

Ring::Ring(const RingOptions& o) {
    int last = 0;
    const auto tries = attempts(o);
    for (const auto& a : tries) {
        io_uring_params p{};
        p.flags = a.flags | IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
        if (o.start_disabled) p.flags |= IORING_SETUP_R_DISABLED;
        p.cq_entries = o.entries * 4;
        p.sq_thread_idle = o.sqpoll_idle_ms;
        if (a.flags & IORING_SETUP_ATTACH_WQ) p.wq_fd = static_cast<unsigned>(o.attach_wq_fd);
        last = io_uring_queue_init_params(o.entries, &ring_, &p);
        if (last == 0) {
            mode_ = a.name;
            break;
        }
        if (last != -EINVAL) break;  // only "unsupported flag" is worth another try
    }
    if (last < 0) setup_failed(-last);
    if (mode_ != tries.front().name) spdlog::warn("io_uring: kernel refused {}, using {}", tries.front().name, mode_);
    if (o.batch_wait_us > 0) {
        if ((ring_.features & kFeatMinTimeout) && !sqpoll()) {
            batch_wait_us_ = o.batch_wait_us;
            mode_ += fmt::format(" batch_wait={}us", o.batch_wait_us);
        } else {
            spdlog::warn("io_uring: batch_wait_us ignored: {}",
                         sqpoll() ? "SQPOLL rings are not batched" : "the kernel lacks min_wait (Linux 6.12)");
        }
    }

    if (o.iowq_max_bounded || o.iowq_max_unbounded) {
        unsigned values[2] = {o.iowq_max_bounded, o.iowq_max_unbounded};
        if (const int r = io_uring_register_iowq_max_workers(&ring_, values); r < 0)
            spdlog::warn("io_uring: cannot cap io-wq workers: {}", std::strerror(-r));
    }
}

Ring::~Ring() { io_uring_queue_exit(&ring_); }

void Ring::enable(const Restrictions* r) {
    if (r) {
        std::vector<io_uring_restriction> list;
        for (const uint8_t op : r->opcodes) {
            io_uring_restriction x{};
            x.opcode = IORING_RESTRICTION_SQE_OP;
            x.sqe_op = op;
            list.push_back(x);
        }
        for (const uint8_t op : r->register_ops) {
            io_uring_restriction x{};
            x.opcode = IORING_RESTRICTION_REGISTER_OP;
            x.register_op = op;
            list.push_back(x);
        }
        io_uring_restriction flags{};
        flags.opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
        flags.sqe_flags = r->sqe_flags;
        list.push_back(flags);
        // Debian's liburing 2.3 declares io_uring_register_restrictions and
        // io_uring_enable_rings but does not export them: use the plain call.
        if (const int e = io_uring_register(ring_.ring_fd, IORING_REGISTER_RESTRICTIONS, list.data(),
                                            static_cast<unsigned>(list.size()));
            e < 0)
            throw_errno(-e, "io_uring_register(RESTRICTIONS)");
    }
    if (const int e = io_uring_register(ring_.ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0); e < 0)
        throw_errno(-e, "io_uring_register(ENABLE_RINGS)");
}

io_uring_sqe* Ring::sqe() {
    io_uring_sqe* s = io_uring_get_sqe(&ring_);
    while (!s) {
        io_uring_submit(&ring_);
        s = io_uring_get_sqe(&ring_);
    }
    return s;
}

void Ring::reserve(unsigned n) {
    if (io_uring_sq_space_left(&ring_) < n) io_uring_submit(&ring_);
}

int Ring::submit() { return io_uring_submit(&ring_); }

int Ring::submit_and_wait(int timeout_ms, unsigned completions) {
    __kernel_timespec ts{};
    ts.tv_sec = timeout_ms / 1000;
    ts.tv_nsec = (timeout_ms % 1000) * 1'000'000LL;
    if (batch_wait_us_ > 0) return enter_batched(ts, completions);
    io_uring_cqe* cqe = nullptr;
    const int r = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    return r == -ETIME || r == -EINTR ? 0 : r;
}

// liburing 2.3 (Debian 12) cannot pass min_wait_usec: its io_uring_getevents_arg
// still calls the field `pad`. So the SQ tail is published here (as liburing's flush
// does on a ring without SQPOLL) and the ring entered once, submitting and waiting.
int Ring::enter_batched(const __kernel_timespec& ts, unsigned completions) {
    io_uring_sq& sq = ring_.sq;
    const unsigned tail = sq.sqe_tail;
    if (sq.sqe_head != tail) {
        sq.sqe_head = tail;
        io_uring_smp_store_release(sq.ktail, tail);
    }
    const unsigned to_submit = tail - io_uring_smp_load_acquire(sq.khead);
    io_uring_getevents_arg arg{};
    arg.sigmask_sz = _NSIG / 8;
    arg.pad = batch_wait_us_;  // min_wait_usec since Linux 6.12 (IORING_FEAT_MIN_TIMEOUT)
    arg.ts = reinterpret_cast<uint64_t>(&ts);
    const long r = ::syscall(__NR_io_uring_enter, ring_.ring_fd, to_submit, std::max(1u, completions),
                             IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof arg);
    if (r >= 0) return static_cast<int>(r);
    return errno == ETIME || errno == EINTR ? 0 : -errno;
}

std::string Features::describe() const {
    std::string s;
    auto add = [&s](bool on, const char* name) {
        s += on ? "+" : "-";
        s += name;
        s += ' ';
    };
    add(openat2, "openat2");
    add(statx, "statx");
    add(splice, "splice");
    add(send_zc, "send_zc");
    add(read_fixed, "read_fixed");
    add(accept, "accept");
    add(provide_buffers, "provided_buffers");
    if (!s.empty()) s.pop_back();
    return s;
}

Features probe_features() {
    Features f{};
    io_uring_probe* p = io_uring_get_probe();
    if (!p) return f;
    f.openat2 = io_uring_opcode_supported(p, IORING_OP_OPENAT2);
    f.statx = io_uring_opcode_supported(p, IORING_OP_STATX);
    f.splice = io_uring_opcode_supported(p, IORING_OP_SPLICE);
    f.send_zc = io_uring_opcode_supported(p, IORING_OP_SEND_ZC);
    f.read_fixed = io_uring_opcode_supported(p, IORING_OP_READ_FIXED);
    f.accept = io_uring_opcode_supported(p, IORING_OP_ACCEPT);
    f.provide_buffers = io_uring_opcode_supported(p, IORING_OP_PROVIDE_BUFFERS);
    io_uring_free_probe(p);
    return f;
}

}  // namespace uringd::ring
