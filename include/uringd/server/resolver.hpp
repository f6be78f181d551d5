#pragma once
// From a routed request to what answers it, as values: which paths to look up and
// in what order (the target, index files, precompressed sidecars, the site's error
// pages), and then what to send. The caller performs each lookup (open-file cache,
// or open + statx on the ring) and feeds the result back; nothing here does I/O,
// so every path through it is unit-tested with plain values. HTTP/1 and HTTP/2
// sessions share it.
#include <uringd/config/config.hpp>
#include <uringd/fs/file.hpp>
#include <uringd/http/encoding.hpp>
#include <uringd/http/path.hpp>
#include <uringd/http/status.hpp>

#include <cstdint>
#include <string>

namespace uringd::server {

class Resolver {
public:
    enum class Action : uint8_t {
        Lookup,         // look path() up, then call on_found
        ProbeSidecars,  // keep the regular file just found (the plain one), then look path() up
        Serve,          // send the regular file just found, with status() and coding()
        ServeHeld,      // send the plain file kept at ProbeSidecars (no sidecar is there)
        Respond,        // a built-in response with status() (the site has no page for it)
        Redirect,       // 301 to the directory's URL (append_directory_location)
        Listing,        // render the directory target().path
    };

    // What a lookup found: 0 or the errno of the open / statx, and the file's kind.
    struct Found {
        int error = 0;
        fs::FileKind kind = fs::FileKind::Regular;
    };

    // Written by routing before start().
    http::ResolvedTarget& target() { return target_; }
    const http::ResolvedTarget& target() const { return target_; }

    // `codings`: the client's Accept-Encoding, negotiated (used on precompressed sites).
    Action start(const config::SiteConfig& site, const http::Negotiation& codings);
    Action on_found(Found f);
    // Any response by status (a parse error, 412, 416 …): the site's page for it when
    // it has one and none was tried yet in this exchange, else the built-in one.
    Action respond(const config::SiteConfig& site, http::Status status);

    // The path being looked up (stable until the next call: an open in flight reads
    // it); once serving, the plain file's name (for Content-Type and Cache-Control).
    const std::string& path() const { return path_; }
    http::Status status() const { return status_; }
    // The sidecar's coding being served, or -1 for the plain file.
    int coding() const { return coding_; }
    bool serving_error_page() const { return phase_ == Phase::ErrorPage; }
    // The last Respond came from an error page that could not be served.
    bool error_page_failed() const { return page_failed_; }

private:
    enum class Phase : uint8_t { Target, Index, Sidecar, ErrorPage, Done };

    Action found_file(Found f);
    Action found_sidecar(Found f);
    Action found_error_page(Found f);
    Action next_index();
    Action next_sidecar();
    Action finish(http::Status status);

    http::ResolvedTarget target_;
    const config::SiteConfig* site_ = nullptr;
    std::string path_;
    http::Negotiation codings_;
    Phase phase_ = Phase::Done;
    http::Status status_ = http::Status::Ok;
    uint32_t base_len_ = 0;  // path_'s length without the sidecar suffix
    uint8_t index_try_ = 0;
    uint8_t coding_try_ = 0;
    int8_t coding_ = -1;
    bool page_tried_ = false;
    bool page_failed_ = false;
};

// RFC 9110 §15.4.2: a directory's URL ends with '/'; the query string is kept.
void append_directory_location(std::string& out, const http::ResolvedTarget& target);

}  // namespace uringd::server
