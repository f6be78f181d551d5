#include <uringd/base/error.hpp>
#include <uringd/base/mapping.hpp>

#include <sys/mman.h>

#include <cerrno>

namespace uringd {

Mapping::Mapping(std::size_t bytes) : size_(bytes) {
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw_errno(errno, fmt::format("mmap {} bytes", bytes));
    data_ = p;
}

Mapping Mapping::of_file(int fd, std::size_t bytes) {
    Mapping m;
    void* p = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) throw_errno(errno, fmt::format("mmap a {}-byte file", bytes));
    m.data_ = p;
    m.size_ = bytes;
    return m;
}

Mapping::~Mapping() {
    if (data_) ::munmap(data_, size_);
}

}  // namespace uringd
