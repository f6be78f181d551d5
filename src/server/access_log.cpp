#include <uringd/base/error.hpp>
#include <uringd/base/log.hpp>
#include <uringd/server/access_log.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <bit>
#include <chrono>
#include <cstring>

namespace uringd::server {

namespace {

constexpr std::size_t kRecordHead = 6;  // u32 length, u16 file

UniqueFd open_log(const std::string& path) {
    // The server's own standard streams, shared (not reopened): a reopened
    // /dev/stdout gets its own file offset and overwrites what stderr writes to the
    // same file.
    if (path == "/dev/stdout") return UniqueFd(::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3));
    if (path == "/dev/stderr") return UniqueFd(::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3));
    return UniqueFd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
}

}  // namespace

AccessLog::AccessLog(std::vector<std::string> paths, std::size_t workers, std::size_t ring_bytes)
    : paths_(std::move(paths)),
      pending_(paths_.size()),
      failing_(paths_.size()),
      mask_(std::bit_ceil(ring_bytes) - 1) {
    for (const auto& p : paths_) {
        UniqueFd fd = open_log(p);
        if (!fd) throw_errno(errno, fmt::format("access log \"{}\"", p));
        files_.push_back(std::move(fd));
    }
    for (std::size_t i = 0; i < workers; ++i) rings_.push_back(std::make_unique<Ring>(mask_ + 1));
}

AccessLog::~AccessLog() {
    stop_.store(true);
    wake_.notify_one();
    if (writer_.joinable()) writer_.join();
    drain();
}

void AccessLog::start() {
    writer_ = std::thread([this] { run(); });
}

bool AccessLog::append(std::size_t w, uint16_t file, std::string_view line) {
    Ring& r = *rings_[w];
    const uint64_t head = r.head.load(std::memory_order_relaxed);
    const std::size_t need = kRecordHead + line.size();
    if (need > mask_ + 1 - (head - r.tail.load(std::memory_order_acquire))) {
        r.dropped.store(r.dropped.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        return false;
    }
    char hdr[kRecordHead];
    const auto len = static_cast<uint32_t>(line.size());
    std::memcpy(hdr, &len, 4);
    std::memcpy(hdr + 4, &file, 2);
    auto put = [&](uint64_t pos, const char* src, std::size_t n) {
        const std::size_t at = pos & mask_, first = std::min(n, mask_ + 1 - at);
        std::memcpy(r.data.data() + at, src, first);
        std::memcpy(r.data.data(), src + first, n - first);
    };
    put(head, hdr, kRecordHead);
    put(head + kRecordHead, line.data(), line.size());
    r.head.store(head + need, std::memory_order_release);
    return true;
}

uint64_t AccessLog::dropped(std::size_t w) const { return rings_[w]->dropped.load(std::memory_order_relaxed); }

void AccessLog::reopen() {
    reopen_.store(true);
    wake_.notify_one();
}

void AccessLog::copy_out(const Ring& r, uint64_t pos, char* dst, std::size_t n) const {
    const std::size_t at = pos & mask_, first = std::min(n, mask_ + 1 - at);
    std::memcpy(dst, r.data.data() + at, first);
    std::memcpy(dst + first, r.data.data(), n - first);
}

bool AccessLog::drain() {
    bool any = false;
    for (auto& rp : rings_) {
        Ring& r = *rp;
        uint64_t tail = r.tail.load(std::memory_order_relaxed);
        const uint64_t head = r.head.load(std::memory_order_acquire);
        while (tail < head) {
            char hdr[kRecordHead];
            copy_out(r, tail, hdr, kRecordHead);
            uint32_t len;
            uint16_t file;
            std::memcpy(&len, hdr, 4);
            std::memcpy(&file, hdr + 4, 2);
            std::string& out = pending_[file];
            const std::size_t old = out.size();
            out.resize(old + len);
            copy_out(r, tail + kRecordHead, out.data() + old, len);
            tail += kRecordHead + len;
        }
        r.tail.store(tail, std::memory_order_release);
    }
    for (std::size_t f = 0; f < files_.size(); ++f) {
        std::string& out = pending_[f];
        for (std::size_t done = 0; done < out.size();) {
            const ssize_t n = ::write(files_[f].get(), out.data() + done, out.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {  // a full disk: say so once, drop this batch, keep serving
                if (!failing_[f])
                    spdlog::error("access log \"{}\": write: {}", paths_[f], n < 0 ? std::strerror(errno) : "short");
                failing_[f] = true;
                break;
            }
            done += static_cast<std::size_t>(n);
            failing_[f] = false;
        }
        any = any || !out.empty();
        out.clear();
    }
    return any;
}

void AccessLog::open_all() {
    for (std::size_t f = 0; f < paths_.size(); ++f) {
        UniqueFd fd = open_log(paths_[f]);
        if (!fd) {  // keep writing to the old file rather than lose lines
            spdlog::error("access log \"{}\": reopen: {}", paths_[f], std::strerror(errno));
            continue;
        }
        files_[f] = std::move(fd);
    }
    spdlog::info("access logs reopened");
}

void AccessLog::run() {
    while (!stop_.load()) {
        if (reopen_.exchange(false)) {
            drain();  // lines queued before the signal go to the old file
            open_all();
        }
        if (!drain()) {
            std::unique_lock lock(wait_mu_);
            wake_.wait_for(lock, std::chrono::milliseconds(100));
        }
    }
}

}  // namespace uringd::server
