#include <uringd/fs/file_cache.hpp>

#include <algorithm>

namespace uringd::fs {

FileRef::FileRef(FileCache* cache, CachedFile* file) : cache_(cache), file_(file) { ++file_->refs; }

FileRef::FileRef(FileRef&& o) noexcept
    : cache_(std::exchange(o.cache_, nullptr)),
      file_(std::exchange(o.file_, nullptr)) {}

FileRef& FileRef::operator=(FileRef&& o) noexcept {
    if (this != &o) {
        reset();
        cache_ = std::exchange(o.cache_, nullptr);
        file_ = std::exchange(o.file_, nullptr);
    }
    return *this;
}

void FileRef::reset() {
    if (file_) cache_->release(std::exchange(file_, nullptr));
    cache_ = nullptr;
}

CachedFile* FileCache::lookup(std::string_view key, int64_t now_ms) {
    const auto it = map_.find(key);
    if (it == map_.end() || now_ms - it->second->validated_ms >= limits_.valid_ms) {
        ++misses_;
        return nullptr;
    }
    ++hits_;
    CachedFile* f = it->second.get();
    unlink(f);
    push_front(f);
    return f;
}

CachedFile* FileCache::last_known(std::string_view key) {
    const auto it = map_.find(key);
    if (it == map_.end()) return nullptr;
    CachedFile* f = it->second.get();
    return f->error || !f->fd || f->validated_ms == kInvalidated ? nullptr : f;
}

CachedFile* FileCache::emplace(std::string_view key, int64_t now_ms) {
    if (const auto it = map_.find(key); it != map_.end()) {
        CachedFile* old = it->second.get();
        unlink(old);
        body_bytes_ -= old->body.size();
        auto owned = std::move(it->second);
        map_.erase(it);
        retire(std::move(owned));
    }
    auto f = std::make_unique<CachedFile>();
    f->key = key;
    f->validated_ms = now_ms;
    CachedFile* raw = f.get();
    map_.emplace(raw->key, std::move(f));
    push_front(raw);
    evict_to_fit();
    if (on_insert_) on_insert_(raw->key);
    return raw;
}

void FileCache::invalidate(std::string_view key) {
    if (const auto it = map_.find(key); it != map_.end()) invalidate(it->second.get());
}

void FileCache::invalidate_all() {
    for (auto& [key, f] : map_) invalidate(f.get());
}

CachedFile* FileCache::insert(std::string_view key, UniqueFd fd, const struct statx& st, int64_t now_ms) {
    CachedFile* f = emplace(key, now_ms);
    f->fd = std::move(fd);
    f->st = st;
    f->kind = kind_of(st);
    char etag[kEtagMax];
    f->etag.assign(etag, format_etag(st, etag));
    char date[http::kHttpDateLen];
    http::format_http_date(st.stx_mtime.tv_sec, date);
    f->last_modified.assign(date, sizeof date);
    return f;
}

CachedFile* FileCache::insert_error(std::string_view key, int err, int64_t now_ms) {
    CachedFile* f = emplace(key, now_ms);
    f->error = err;
    return f;
}

bool FileCache::wants_body(const CachedFile& f) const {
    return !f.retired && !f.body_loaded && f.kind == FileKind::Regular && f.st.stx_size <= limits_.small_file_max &&
           f.st.stx_size <= limits_.body_budget;
}

const char* FileCache::mapping(CachedFile* f) {
    if (f->mapped.data()) return f->mapped.data();
    if (f->map_failed || !f->fd || f->st.stx_size == 0) return nullptr;
    try {
        f->mapped = Mapping::of_file(f->fd.get(), f->st.stx_size);
    } catch (const std::exception&) {
        f->map_failed = true;
        return nullptr;
    }
    return f->mapped.data();
}

bool FileCache::keep_body(CachedFile* f, std::span<const char> body) {
    if (!wants_body(*f) || body.size() != f->st.stx_size) return false;
    f->body.assign(body.begin(), body.end());
    f->body_loaded = true;
    body_bytes_ += body.size();
    evict_to_fit();
    return true;
}

void FileCache::unlink(CachedFile* f) {
    (f->prev ? f->prev->next : head_) = f->next;
    (f->next ? f->next->prev : tail_) = f->prev;
    f->prev = f->next = nullptr;
}

void FileCache::push_front(CachedFile* f) {
    f->next = head_;
    if (head_) head_->prev = f;
    head_ = f;
    if (!tail_) tail_ = f;
}

void FileCache::evict_to_fit() {
    while (tail_ && tail_ != head_ && (map_.size() > limits_.max_entries || body_bytes_ > limits_.body_budget)) {
        CachedFile* victim = tail_;
        unlink(victim);
        body_bytes_ -= victim->body.size();
        auto it = map_.find(victim->key);
        auto owned = std::move(it->second);
        map_.erase(it);
        retire(std::move(owned));
    }
}

// Out of the map; kept alive only while a connection still uses its fd.
void FileCache::retire(std::unique_ptr<CachedFile> f) {
    f->retired = true;
    if (f->refs > 0) retired_.push_back(std::move(f));
}

void FileCache::release(CachedFile* f) {
    if (--f->refs > 0 || !f->retired) return;
    const auto it = std::find_if(retired_.begin(), retired_.end(), [f](const auto& p) { return p.get() == f; });
    if (it != retired_.end()) {
        std::swap(*it, retired_.back());
        retired_.pop_back();
    }
}

}  // namespace uringd::fs
