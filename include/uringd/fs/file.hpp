#pragma once
// Root-confined file access: how files are opened (the kernel enforces the root with
// RESOLVE_BENEATH), what an open/stat error means for the client, and the metadata
// headers a file carries. No I/O here: the server submits the operations.
#include <uringd/http/status.hpp>

#include <linux/openat2.h>
#include <linux/stat.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace uringd::fs {

// openat2 arguments for every file opened below a site root: never follow a path
// outside the root ("..", absolute symlinks, symlinks leading out) nor /proc magic
// links. O_NONBLOCK keeps a FIFO planted in the root from blocking an io-wq thread;
// it is cleared (clear_nonblock) once statx says the file is regular.
open_how root_open_how();

// Clears O_NONBLOCK on a regular file so io_uring reads may block in io-wq instead of
// returning -EAGAIN on a page-cache miss. Returns 0 or -errno.
int clear_nonblock(int fd);

enum class Severity : uint8_t { Quiet, Loud };
struct OpenFailure {
    http::Status status;
    Severity severity;  // Loud: log it (an unexpected server-side error)
};
// errno from openat2/statx → what the client sees (ENOENT → 404 quietly, EACCES,
// ELOOP and EXDEV (escapes the root) → 403, anything else → 500 loudly).
OpenFailure classify_open_error(int err);

enum class FileKind : uint8_t { Regular, Directory, Other };
FileKind kind_of(const struct statx& st);

inline constexpr std::size_t kEtagMax = 48;
// Strong validator from size and mtime (as nginx: changes when the file changes).
// Writes a quoted ETag into `out` (kEtagMax bytes) and returns its length.
std::size_t format_etag(const struct statx& st, char* out);

}  // namespace uringd::fs
