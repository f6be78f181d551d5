// From a routed request to a response head in a registered buffer: the resolver's
// lookups (open beneath the root, statx), files, listings and status pages.
#include <uringd/base/clock.hpp>
#include <uringd/fs/file.hpp>
#include <uringd/fs/listing.hpp>
#include <uringd/server/responder.hpp>

#include <fcntl.h>
#include <sys/random.h>

#include <cstring>

namespace uringd::server {

using ring::Op;

namespace {

constexpr std::string_view kAllow = "GET, HEAD, OPTIONS";
constexpr std::size_t kMaxListed = 10000;

}  // namespace

Responder::Responder(WorkerCore& core, Transport& transport, BodySender& body, Telemetry& telemetry,
                     fs::FileCache& cache)
    : core_(core),
      transport_(transport),
      body_(body),
      telemetry_(telemetry),
      cache_(cache),
      how_(fs::root_open_how()) {
    // A boundary must not occur in the parts; a guessable one lets a file be made to.
    if (::getrandom(&boundary_salt_, sizeof boundary_salt_, 0) != sizeof boundary_salt_)
        boundary_salt_ = static_cast<uint64_t>(clock::monotonic_ms()) * 0x9e3779b97f4a7c15ull;
}

void Responder::serve(Connection& c) {
    const config::SiteConfig& site = core_.ctx.sites[c.ex.site].conf;
    const http::Negotiation codings = site.precompressed
                                          ? http::negotiate_encoding(c.parser.request().header("Accept-Encoding"))
                                          : http::Negotiation{};
    act(c, c.ex.resolver.start(site, codings));
}

// Sites share the worker's cache: the key is the site's index, then the path.
std::string_view Responder::cache_key(uint8_t site, std::string_view path) {
    key_.assign(1, static_cast<char>(site));
    key_ += path;
    return key_;
}

std::string_view Responder::cache_key(const Connection& c) { return cache_key(c.ex.site, c.ex.resolver.path()); }

// Carries out the resolver's next step (resolver.hpp).
void Responder::act(Connection& c, Resolver::Action a) {
    using Action = Resolver::Action;
    switch (a) {
    case Action::ProbeSidecars: c.ex.identity = std::move(c.ex.fref); [[fallthrough]];
    case Action::Lookup: return lookup(c);
    case Action::ServeHeld: c.ex.fref = std::move(c.ex.identity); [[fallthrough]];
    case Action::Serve: return serve_found(c);
    case Action::Listing: return serve_listing(c);
    case Action::Redirect: append_directory_location(c.ex.location, c.ex.resolver.target()); break;
    case Action::Respond:
        if (c.ex.resolver.error_page_failed() && core_.resource_errors.allow(core_.now_ms))
            spdlog::warn("worker {}: error page \"{}\" cannot be served; sending the built-in one", core_.index,
                         c.ex.resolver.path());
        break;
    }
    c.ex.file.reset();
    c.ex.simple_status = c.ex.resolver.status();
    respond_builtin(c);
}

// The open-file cache first; the ring only on a miss.
void Responder::lookup(Connection& c) {
    if (fs::CachedFile* e = cache_.lookup(cache_key(c), core_.now_ms)) return found_entry(c, e);
    submit_open(c);
}

void Responder::found_entry(Connection& c, fs::CachedFile* e) {
    // A regular file is held from here: the resolver serves it or keeps it while
    // probing sidecars; any other answer drops it with the exchange.
    if (!e->error && e->kind == fs::FileKind::Regular) c.ex.fref = cache_.ref(e);
    act(c, c.ex.resolver.on_found({e->error, e->kind}));
}

// An open or statx that failed for a reason not cached (EMFILE, EIO …).
void Responder::lookup_failed(Connection& c, int err) {
    c.ex.file.reset();
    if (fs::classify_open_error(err).severity == fs::Severity::Loud && core_.resource_errors.allow(core_.now_ms))
        spdlog::error("worker {}: open \"{}\": {} ({} similar suppressed)", core_.index, c.ex.resolver.path(),
                      std::strerror(err), core_.resource_errors.suppressed());
    act(c, c.ex.resolver.on_found({err, fs::FileKind::Other}));
}

// The resolver chose the file in c.ex.fref: a sidecar's ETag is the plain file's
// with "-<coding>" (one validator per representation).
void Responder::serve_found(Connection& c) {
    if (const int coding = c.ex.resolver.coding(); coding >= 0) {
        const std::string& etag = c.ex.fref->etag;  // "…" → "…-br"
        c.ex.coded_etag.assign(etag, 0, etag.size() - 1);
        c.ex.coded_etag += '-';
        c.ex.coded_etag += http::coding_name(static_cast<http::Coding>(coding));
        c.ex.coded_etag += '"';
    }
    respond_file(c);
}

void Responder::submit_open(Connection& c) {
    // The path and open_how must stay put until the CQE: with SQPOLL the kernel reads
    // them after io_uring_submit returns. Both live in the connection / worker.
    io_uring_sqe* sqe = core_.submit(c, Op::Open);
    io_uring_prep_openat2(sqe, core_.ctx.sites[c.ex.site].root.get(), c.ex.resolver.path().c_str(), &how_);
    sqe->personality = personality_;
    c.state = ConnState::Opening;
}

void Responder::on_open(Connection& c, int res) {
    if (c.state == ConnState::Closing) {
        if (res >= 0) ::close(res);
        return;
    }
    if (res < 0) {
        // Remember quiet failures (404/403): a flood of misses costs no opens.
        if (fs::classify_open_error(-res).severity == fs::Severity::Quiet)
            return found_entry(c, cache_.insert_error(cache_key(c), -res, core_.now_ms));
        if (res == -EMFILE || res == -ENFILE) {
            if (fs::CachedFile* e = cache_.last_known(cache_key(c))) return found_entry(c, e);
        }
        return lookup_failed(c, -res);
    }
    c.ex.file.reset(res);
    io_uring_sqe* sqe = core_.submit(c, Op::Statx);
    io_uring_prep_statx(sqe, c.ex.file.get(), "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE | STATX_MTIME, &c.ex.st);
    sqe->personality = personality_;
    c.state = ConnState::Statting;
}

void Responder::on_statx(Connection& c, int res) {
    if (c.state == ConnState::Closing) return;
    if (res < 0) return lookup_failed(c, -res);
    if (fs::kind_of(c.ex.st) == fs::FileKind::Regular) {
        if (const int r = fs::clear_nonblock(c.ex.file.get()); r < 0) return lookup_failed(c, -r);
    }
    fs::CachedFile* e = cache_.insert(cache_key(c), std::move(c.ex.file), c.ex.st, core_.now_ms);
    e->content_type = core_.ctx.mime.lookup(c.ex.resolver.path());  // once per entry, not per request
    found_entry(c, e);
}

// A directory without an index, on a site that lists: the page is rendered into a
// memory file and cached under a key no path can have (it ends in NUL), so it is
// served like any file and rebuilt at most once per valid_ms.
void Responder::serve_listing(Connection& c) {
    const http::ResolvedTarget& target = c.ex.resolver.target();
    std::string key(cache_key(c.ex.site, target.path));
    key += '\0';
    if (fs::CachedFile* e = cache_.lookup(key, core_.now_ms); e && !e->error) {
        c.ex.fref = cache_.ref(e);
        return respond_file(c);
    }
    const fs::DirectoryRead dir = fs::read_directory(core_.ctx.sites[c.ex.site].root.get(),
                                                     target.path.empty() ? "." : target.path.c_str(), how_, kMaxListed);
    if (dir.error) return lookup_failed(c, dir.error);
    UniqueFd fd = fs::memory_file(http::render_listing(target.path, dir.entries, dir.truncated));
    struct statx st {};
    if (!fd || ::statx(fd.get(), "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE | STATX_MTIME, &st) < 0)
        return lookup_failed(c, errno);
    fs::CachedFile* e = cache_.insert(key, std::move(fd), st, core_.now_ms);
    e->content_type = "text/html; charset=utf-8";
    c.ex.fref = cache_.ref(e);
    respond_file(c);
}

void Responder::respond_file(Connection& c) {
    if (!core_.take_buffer(c, Pending::File)) return;
    const bool error_page = c.ex.resolver.serving_error_page();
    if (!error_page && respond_conditional(c)) return;
    const fs::CachedFile& f = c.ex.fref.get();
    http::ResponseHead head = file_head(c, http::Status::Ok);
    if (error_page) {  // the page stands in for the status: no validators, no ranges
        head.status = c.ex.resolver.status();
        head.etag = head.last_modified = head.cache_control = {};
        head.accept_ranges = false;
        if (head.status == http::Status::MethodNotAllowed) head.allow = kAllow;
    }
    head.content_length = f.st.stx_size;
    const auto out = transport_.plain_area(c);
    const auto head_len = static_cast<uint32_t>(telemetry_.put_head(c, head, out));
    const uint64_t size = f.st.stx_size;
    if (c.ex.head_only || size == 0) return transport_.start_send(c, head_len);
    if (size <= out.size() - head_len) {
        if (!f.body_loaded) return body_.submit_read_fixed(c, head_len);
        // Kept in memory: head and body in one send, no file I/O at all.
        std::memcpy(out.data() + head_len, f.body.data(), size);
        return transport_.start_send(c, head_len + static_cast<uint32_t>(size));
    }
    c.ex.body_off = 0;
    c.ex.body_left = size;
    transport_.start_send(c, head_len);  // then the body: splice, or chunks over user-space TLS
}

// Any status (a parse error, 405, 412 …): the site's page for it, or the built-in one.
void Responder::respond_simple(Connection& c, http::Status status, bool close) {
    if (close) c.keep_alive = false;
    if (core_.is_admin(c)) {  // the admin listener is no site's: no error pages there
        c.ex.simple_status = status;
        return respond_builtin(c);
    }
    act(c, c.ex.resolver.respond(core_.ctx.sites[c.ex.site].conf, status));
}

// The built-in page for c.ex.simple_status, once a buffer is free.
void Responder::respond_builtin(Connection& c) {
    if (!core_.take_buffer(c, Pending::Simple)) return;
    http::ResponseHead head;
    head.status = c.ex.simple_status;
    if (head.status == http::Status::MethodNotAllowed || head.status == http::Status::NoContent) head.allow = kAllow;
    if (head.status == http::Status::MovedPermanently || head.status == http::Status::PermanentRedirect)
        head.location = c.ex.location;
    write_simple(c, head);
}

// A status with its small HTML page (none for 204), into the buffer `c` holds.
void Responder::write_simple(Connection& c, http::ResponseHead head) {
    head.date = date_.get(clock::wall_seconds());
    head.extra = core_.ctx.sites[c.ex.site].extra_for(c.tls != nullptr);
    head.keep_alive = c.keep_alive;
    head.http10_keep_alive = c.ex.http10_keep_alive;
    const auto len = head.status == http::Status::NoContent ? telemetry_.put_head(c, head, transport_.plain_area(c))
                                                            : telemetry_.put_error(c, head, transport_.plain_area(c));
    transport_.start_send(c, static_cast<uint32_t>(len));
}

}  // namespace uringd::server
