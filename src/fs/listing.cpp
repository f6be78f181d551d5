#include <uringd/fs/listing.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

namespace uringd::fs {

DirectoryRead read_directory(int root, const char* path, const open_how& file_how, std::size_t max_entries) {
    DirectoryRead out;
    open_how how = file_how;
    how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    const int fd = static_cast<int>(::syscall(SYS_openat2, root, path, &how, sizeof how));
    if (fd < 0) {
        out.error = errno;
        return out;
    }
    // fdopendir takes the fd; closedir closes it.
    const std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(fd), &::closedir);
    if (!dir) {
        out.error = errno;
        ::close(fd);
        return out;
    }
    while (const dirent* d = ::readdir(dir.get())) {
        if (d->d_name[0] == '.') continue;  // ".", "..", and hidden files: never listed
        if (out.entries.size() == max_entries) {
            out.truncated = true;
            break;
        }
        struct stat st {};
        if (::fstatat(::dirfd(dir.get()), d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) continue;  // gone meanwhile
        out.entries.push_back({d->d_name, S_ISDIR(st.st_mode), static_cast<uint64_t>(st.st_size), st.st_mtime});
    }
    return out;
}

UniqueFd memory_file(std::string_view content) {
    UniqueFd fd(::memfd_create("uringd-listing", MFD_CLOEXEC));
    if (!fd) return fd;
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return UniqueFd();
        }
        done += static_cast<std::size_t>(n);
    }
    return fd;
}

}  // namespace uringd::fs
