#pragma once
// Reading a directory for a listing page, and the memory file the page is served
// from. Synchronous I/O on the calling thread: listings are off by default, and a
// listing is cached like a file, so a directory is read at most once per validity.
#include <uringd/base/unique_fd.hpp>
#include <uringd/http/listing.hpp>

#include <linux/openat2.h>

#include <cstddef>
#include <string_view>
#include <vector>

namespace uringd::fs {

struct DirectoryRead {
    int error = 0;  // errno when the directory could not be opened or read
    std::vector<http::ListingEntry> entries;
    bool truncated = false;  // more than `max_entries` visible entries
};

// The visible entries of `path` beneath `root` (opened with `how`'s resolve rules);
// names starting with '.' are never listed. Symlinks are described, not followed.
DirectoryRead read_directory(int root, const char* path, const open_how& how, std::size_t max_entries);

// An anonymous in-memory file holding `content` (memfd), or an invalid fd with errno set.
UniqueFd memory_file(std::string_view content);

}  // namespace uringd::fs
