#pragma once
// Per-worker open-file cache (one per worker, so no locks): path → open fd, statx,
// formatted ETag and Last-Modified, and for small files the whole body. Entries
// are dropped when the disk says they changed (invalidate, fed by ChangeWatch) and
// re-opened once older than `valid_ms` whatever happened; failed opens are cached
// too (negative entries). Bounded by entry count and by bytes of cached bodies, LRU.
#include <uringd/base/mapping.hpp>
#include <uringd/base/unique_fd.hpp>
#include <uringd/fs/file.hpp>
#include <uringd/http/date.hpp>

#include <linux/stat.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace uringd::fs {

struct CacheLimits {
    uint32_t max_entries = 1024;
    int64_t valid_ms = 1000;
    uint32_t small_file_max = 16384;   // bodies up to this size are kept in memory
    uint64_t body_budget = 16u << 20;  // bytes of kept bodies
};

struct CachedFile {
    std::string key;
    UniqueFd fd;    // invalid for negative entries
    int error = 0;  // errno of a failed open
    struct statx st {};
    FileKind kind = FileKind::Other;
    std::string etag;
    std::string last_modified;
    std::string_view content_type;  // set by the server; points into its immutable MIME table
    std::vector<char> body;         // the whole file once loaded (small files only)
    Mapping mapped;                 // the file mapped read-only, made on first use (large_body = "mmap")
    bool map_failed = false;        // mmap refused once (address space, map count): not tried again
    bool body_loaded = false;
    int64_t validated_ms = 0;
    uint32_t refs = 0;           // connections using fd right now
    bool retired = false;        // replaced or evicted; freed when refs reaches 0
    CachedFile* prev = nullptr;  // LRU, most recent at the head
    CachedFile* next = nullptr;
};

class FileCache;

// A connection's hold on an entry: its fd stays open until the hold is released,
// even if the entry is replaced or evicted meanwhile. Move-only.
class FileRef {
public:
    FileRef() = default;
    FileRef(FileCache* cache, CachedFile* file);
    FileRef(FileRef&& o) noexcept;
    FileRef& operator=(FileRef&& o) noexcept;
    FileRef(const FileRef&) = delete;
    FileRef& operator=(const FileRef&) = delete;
    ~FileRef() { reset(); }

    explicit operator bool() const { return file_ != nullptr; }
    // Another reference to the same entry (none for an empty one).
    FileRef share() const { return file_ ? FileRef(cache_, file_) : FileRef(); }
    const CachedFile* operator->() const { return file_; }
    const CachedFile& get() const { return *file_; }
    CachedFile* entry() const { return file_; }
    void reset();

private:
    FileCache* cache_ = nullptr;
    CachedFile* file_ = nullptr;
};

class FileCache {
    static constexpr int64_t kInvalidated = INT64_MIN / 2;

public:
    explicit FileCache(CacheLimits limits) : limits_(limits) {}
    FileCache(const FileCache&) = delete;
    FileCache& operator=(const FileCache&) = delete;

    // A valid entry for `key`, or null (absent or older than valid_ms).
    CachedFile* lookup(std::string_view key, int64_t now_ms);
    // An expired entry that still holds its file, for when it cannot be revalidated
    // (out of descriptors): the last known version beats a 503. Null when there is
    // none, it was a failed open, or it was invalidated (the file changed under us).
    CachedFile* last_known(std::string_view key);
    // Records an opened file (takes the fd) and returns its entry; replaces any
    // entry for the same key.
    CachedFile* insert(std::string_view key, UniqueFd fd, const struct statx& st, int64_t now_ms);
    // Records a failed open (negative entry).
    CachedFile* insert_error(std::string_view key, int err, int64_t now_ms);
    // Keeps a small file's body (if it fits the limits); false when not kept.
    bool keep_body(CachedFile* f, std::span<const char> body);
    bool wants_body(const CachedFile& f) const;
    // The file's read-only mapping, made on first use; null when mmap fails (the
    // caller sends another way). Valid while a FileRef holds the entry.
    static const char* mapping(CachedFile* f);
    // The file changed under us (short read): the next lookup opens it again.
    static void invalidate(CachedFile* f) { f->validated_ms = kInvalidated; }
    // The same for the entry of `key`, if there is one (the disk says it changed) …
    void invalidate(std::string_view key);
    // … or for every entry (a directory came or went).
    void invalidate_all();
    // Called with the key of every entry inserted (to watch its directory).
    void on_insert(std::function<void(std::string_view key)> hook) { on_insert_ = std::move(hook); }

    FileRef ref(CachedFile* f) { return FileRef(this, f); }

    std::size_t size() const { return map_.size(); }
    std::size_t retired() const { return retired_.size(); }
    uint64_t body_bytes() const { return body_bytes_; }
    uint64_t hits() const { return hits_; }
    uint64_t misses() const { return misses_; }

private:
    friend class FileRef;
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    CachedFile* emplace(std::string_view key, int64_t now_ms);
    void unlink(CachedFile* f);
    void push_front(CachedFile* f);
    void retire(std::unique_ptr<CachedFile> f);
    void release(CachedFile* f);
    void evict_to_fit();

    CacheLimits limits_;
    std::unordered_map<std::string, std::unique_ptr<CachedFile>, Hash, std::equal_to<>> map_;
    std::vector<std::unique_ptr<CachedFile>> retired_;
    CachedFile* head_ = nullptr;
    CachedFile* tail_ = nullptr;
    uint64_t body_bytes_ = 0;
    uint64_t hits_ = 0, misses_ = 0;
    std::function<void(std::string_view)> on_insert_;
};

}  // namespace uringd::fs
