#pragma once
// Owning memory mapping, unmapped on destruction: anonymous (page-aligned,
// zero-filled) or a read-only shared view of a file.
#include <cstddef>
#include <span>
#include <utility>

namespace uringd {

class Mapping {
public:
    Mapping() = default;
    // Throws uringd::Error when mmap fails.
    explicit Mapping(std::size_t bytes);
    // The first `bytes` of the file, read-only, shared with the page cache. Throws
    // uringd::Error when mmap fails.
    static Mapping of_file(int fd, std::size_t bytes);
    Mapping(Mapping&& o) noexcept : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
    Mapping& operator=(Mapping&& o) noexcept {
        std::swap(data_, o.data_);
        std::swap(size_, o.size_);
        return *this;
    }
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    ~Mapping();

    char* data() const { return static_cast<char*>(data_); }
    std::size_t size() const { return size_; }

private:
    void* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace uringd
