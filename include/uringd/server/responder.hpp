#pragma once
// From a routed request to its response: carries out the Resolver's steps (lookups
// in the open-file cache, or open + statx on the ring), then writes the head into
// the registered buffer — a file with its validators, 304/412/416, one range or
// multipart/byteranges, a listing, a built-in status page, the admin pages — and
// hands the body to the BodySender.
#include <uringd/fs/file_cache.hpp>
#include <uringd/http/date.hpp>
#include <uringd/http/response.hpp>
#include <uringd/server/body_sender.hpp>
#include <uringd/server/core.hpp>
#include <uringd/server/resolver.hpp>
#include <uringd/server/telemetry.hpp>
#include <uringd/server/transport.hpp>

#include <linux/openat2.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace uringd::server {

class Responder {
public:
    Responder(WorkerCore& core, Transport& transport, BodySender& body, Telemetry& telemetry, fs::FileCache& cache);
    // SQPOLL rings open files with the credentials of the ring's creator (root,
    // before the privilege drop): opens carry the worker's own, registered later.
    void set_personality(uint16_t id) { personality_ = id; }

    // A request routed to c.ex.site, its target in c.ex.resolver.target().
    void serve(Connection& c);
    void serve_admin(Connection& c);
    // Any status (a parse error, 405, 412 …): the site's page for it, or the built-in one.
    void respond_simple(Connection& c, http::Status status, bool close = false);
    void on_open(Connection& c, int res);
    void on_statx(Connection& c, int res);
    // Resumed with a registered buffer (Pending::File / Pending::Simple).
    void respond_file(Connection& c);
    void respond_builtin(Connection& c);
    // After a response's bytes so far are on the socket: the next part of a multipart
    // body, its closing boundary, or true: the response is complete.
    bool next_part_or_done(Connection& c);

private:
    // Sites share the worker's cache: the key is the site's index, then the path.
    std::string_view cache_key(uint8_t site, std::string_view path);
    std::string_view cache_key(const Connection& c);
    void act(Connection& c, Resolver::Action a);
    void lookup(Connection& c);
    void found_entry(Connection& c, fs::CachedFile* e);
    void lookup_failed(Connection& c, int err);
    void submit_open(Connection& c);
    void serve_found(Connection& c);
    void serve_listing(Connection& c);
    void write_simple(Connection& c, http::ResponseHead head);
    // partial.cpp: 304, 412, 416, 206 and multipart/byteranges.
    http::ResponseHead file_head(const Connection& c, http::Status status);
    std::string_view file_etag(const Connection& c) const;
    bool respond_conditional(Connection& c);
    void respond_single_range(Connection& c, http::ByteRange r);
    void respond_multipart(Connection& c, const http::RangeSet& set);

    WorkerCore& core_;
    Transport& transport_;
    BodySender& body_;
    Telemetry& telemetry_;
    fs::FileCache& cache_;
    open_how how_{};
    uint16_t personality_ = 0;
    http::DateCache date_;
    std::string key_;             // scratch: the cache key of the path being served
    uint64_t boundaries_ = 0;     // multipart boundaries: a counter …
    uint64_t boundary_salt_ = 0;  // … mixed with a per-worker random value
};

}  // namespace uringd::server
