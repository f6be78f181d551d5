#include <uringd/fs/file.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include <fmt/format.h>

namespace uringd::fs {

open_how root_open_how() {
    open_how how{};
    how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    return how;
}

int clear_nonblock(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0) return -errno;
    if (::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) return -errno;
    return 0;
}

OpenFailure classify_open_error(int err) {
    switch (err) {
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG: return {http::Status::NotFound, Severity::Quiet};
    case EACCES:
    case EPERM:
    case ELOOP:
    case EXDEV:  // RESOLVE_BENEATH: the path (or a symlink in it) leaves the root
    case ENXIO:  // a socket or a FIFO without a writer
        return {http::Status::Forbidden, Severity::Quiet};
    case EMFILE:
    case ENFILE:
    case ENOMEM: return {http::Status::ServiceUnavailable, Severity::Loud};
    default: return {http::Status::InternalServerError, Severity::Loud};
    }
}

FileKind kind_of(const struct statx& st) {
    if (S_ISREG(st.stx_mode)) return FileKind::Regular;
    if (S_ISDIR(st.stx_mode)) return FileKind::Directory;
    return FileKind::Other;
}

std::size_t format_etag(const struct statx& st, char* out) {
    const auto r =
        fmt::format_to_n(out, kEtagMax, "\"{:x}-{:x}{:08x}\"", st.stx_size, st.stx_mtime.tv_sec, st.stx_mtime.tv_nsec);
    return r.size;
}

}  // namespace uringd::fs
