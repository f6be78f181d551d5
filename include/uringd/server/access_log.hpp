#pragma once
// Access logs. Each worker appends finished lines to its own single-producer ring;
// one writer thread moves them to the files. A full ring drops the line and counts
// it, so a slow disk never blocks a worker; SIGUSR1 makes the writer reopen every
// file (after logrotate moved them).
#include <uringd/base/unique_fd.hpp>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace uringd::server {

class AccessLog {
public:
    // `paths`: the distinct files (opened now, append-only; throws uringd::Error
    // naming the path). `ring_bytes` per worker is rounded up to a power of two.
    AccessLog(std::vector<std::string> paths, std::size_t workers, std::size_t ring_bytes = 1 << 20);
    AccessLog(const AccessLog&) = delete;
    AccessLog& operator=(const AccessLog&) = delete;
    ~AccessLog();  // writes what is queued, then stops the writer

    void start();  // the writer thread
    // Worker `w` only. False (and counted) when its ring is full.
    bool append(std::size_t w, uint16_t file, std::string_view line);
    uint64_t dropped(std::size_t w) const;
    // Any thread: the writer reopens every file before its next write.
    void reopen();

private:
    struct alignas(64) Ring {
        explicit Ring(std::size_t bytes) : data(bytes) {}
        std::vector<char> data;
        std::atomic<uint64_t> head{0};  // written by the worker
        std::atomic<uint64_t> dropped{0};
        alignas(64) std::atomic<uint64_t> tail{0};  // written by the writer
    };

    void run();
    bool drain();  // moves every ring into the files; true when anything was written
    void open_all();
    void copy_out(const Ring& r, uint64_t pos, char* dst, std::size_t n) const;

    std::vector<std::string> paths_;
    std::vector<UniqueFd> files_;
    std::vector<std::string> pending_;  // per file, the writer's batch
    std::vector<bool> failing_;         // per file: a write failed (logged once)
    std::vector<std::unique_ptr<Ring>> rings_;
    std::size_t mask_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> reopen_{false};
    std::mutex wait_mu_;  // only for the writer's sleep; workers never take it
    std::condition_variable wake_;
    std::thread writer_;
};

}  // namespace uringd::server
