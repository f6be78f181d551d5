#pragma once
// From a routed request to its response: carries out the Resolver's steps (lookups
// in the open-file cache, or open + statx on the ring), then writes the head into
// the registered buffer — a file with its validators, 304/412/416, one range or
// multipart/byteranges, a listing, a built-in status page, the admin pages — and
// hands the body to the BodySender.
#include <uringd/fs/change_watch.hpp>
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
#include <vector>

namespace uringd::server {

// The request an exchange answers: its HTTP/2 stream's, or the connection parser's.
const http::Request& request_of(const Connection& c, const Exchange& x);

class Responder {
public:
    Responder(WorkerCore& core, Transport& transport, BodySender& body, Telemetry& telemetry, fs::FileCache& cache);
    // SQPOLL rings open files with the credentials of the ring's creator (root,
    // before the privilege drop): opens carry the worker's own, registered later.
    void set_personality(uint16_t id) { personality_ = id; }

    // Every exchange `x` below is the connection's own (HTTP/1.1: c.ex, whose head
    // and body go into the registered buffer) or one of its HTTP/2 streams' (x.h2:
    // the response is left in x.h2 for the session to frame, ready once decided).

    // A request routed to x.site, its target in x.resolver.target().
    void serve(Connection& c, Exchange& x);
    void serve_admin(Connection& c);
    // Any status (a parse error, 405, 412 …): the site's page for it, or the built-in one.
    void respond_simple(Connection& c, Exchange& x, http::Status status, bool close = false);
    void on_open(Connection& c, Exchange& x, int res);
    void on_statx(Connection& c, Exchange& x, int res);
    // Resumed with a registered buffer (Pending::File / Pending::Simple).
    void respond_file(Connection& c, Exchange& x);
    void respond_builtin(Connection& c, Exchange& x);
    // HTTP/1.1, after a response's bytes so far are on the socket: the next part of a
    // multipart body, its closing boundary, or true: the response is complete.
    bool next_part_or_done(Connection& c);

    // The cache's entries follow the disk (fs::ChangeWatch): the directory of each
    // entry inserted is watched, and the entries a change names are dropped.
    void watch_directory_of(fs::ChangeWatch& watch, std::string_view key) const;
    void drop_changed(const std::vector<fs::ChangeWatch::Change>& changes);

private:
    // Sites share the worker's cache: the key is the site's index, then the path.
    std::string_view cache_key(uint8_t site, std::string_view path);
    std::string_view cache_key(const Exchange& x);
    void act(Connection& c, Exchange& x, Resolver::Action a);
    void lookup(Connection& c, Exchange& x);
    void found_entry(Connection& c, Exchange& x, fs::CachedFile* e);
    void lookup_failed(Connection& c, Exchange& x, int err);
    void submit_open(Connection& c, Exchange& x);
    void serve_found(Connection& c, Exchange& x);
    void serve_listing(Connection& c, Exchange& x);
    void write_simple(Connection& c, Exchange& x, http::ResponseHead head);
    void reply_h2(const Connection& c, Exchange& x, http::ResponseHead head);
    void load_small_body(Exchange& x);
    void reply_h2_simple(const Connection& c, Exchange& x, http::ResponseHead head);
    void reply_h2_multipart(Connection& c, Exchange& x, const http::ResponseHead& head, const http::RangeSet& set);
    // partial.cpp: 304, 412, 416, 206 and multipart/byteranges.
    http::ResponseHead file_head(const Connection& c, const Exchange& x, http::Status status);
    std::string_view file_etag(const Exchange& x) const;
    bool respond_conditional(Connection& c, Exchange& x);
    void respond_single_range(Connection& c, Exchange& x, http::ByteRange r);
    void respond_multipart(Connection& c, Exchange& x, const http::RangeSet& set);

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
