// From a routed request to a response head in a registered buffer: the resolver's
// lookups (open beneath the root, statx), files, listings and status pages.
#include <uringd/base/clock.hpp>
#include <uringd/fs/file.hpp>
#include <uringd/fs/listing.hpp>
#include <uringd/http/h2_fields.hpp>
#include <uringd/server/responder.hpp>

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

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

void Responder::serve(Connection& c, Exchange& x) {
    const config::SiteConfig& site = core_.ctx.sites[x.site].conf;
    const http::Negotiation codings =
        site.precompressed ? http::negotiate_encoding(request_of(c, x).header("Accept-Encoding")) : http::Negotiation{};
    act(c, x, x.resolver.start(site, codings));
}

// Sites share the worker's cache: the key is the site's index, then the path.
std::string_view Responder::cache_key(uint8_t site, std::string_view path) {
    key_.assign(1, static_cast<char>(site));
    key_ += path;
    return key_;
}

std::string_view Responder::cache_key(const Exchange& x) { return cache_key(x.site, x.resolver.path()); }

void Responder::watch_directory_of(fs::ChangeWatch& watch, std::string_view key) const {
    const auto site = static_cast<uint8_t>(key.front());
    const std::string_view path = key.substr(1);
    // A listing's key is its directory's path and a NUL (serve_listing).
    const std::string_view dir = path.ends_with('\0') ? path.substr(0, path.size() - 1) : fs::parent_dir(path);
    watch.watch(key.substr(0, 1), core_.ctx.sites[site].root.get(), dir);
}

// A change to entry E of directory D: the entry D/E (a file, a sidecar, an index, a
// subdirectory, a failed open) and D's listing.
void Responder::drop_changed(const std::vector<fs::ChangeWatch::Change>& changes) {
    for (const fs::ChangeWatch::Change& ch : changes) {
        if (ch.everything) return cache_.invalidate_all();
        std::string key = ch.prefix + ch.dir;
        key += '\0';
        cache_.invalidate(key);
        key.pop_back();
        if (!ch.dir.empty()) key += '/';
        key += ch.entry;
        cache_.invalidate(key);
    }
}

// Carries out the resolver's next step (resolver.hpp).
void Responder::act(Connection& c, Exchange& x, Resolver::Action a) {
    using Action = Resolver::Action;
    switch (a) {
    case Action::ProbeSidecars: x.identity = std::move(x.fref); [[fallthrough]];
    case Action::Lookup: return lookup(c, x);
    case Action::ServeHeld: x.fref = std::move(x.identity); [[fallthrough]];
    case Action::Serve: return serve_found(c, x);
    case Action::Listing: return serve_listing(c, x);
    case Action::Redirect: append_directory_location(x.location, x.resolver.target()); break;
    case Action::Respond:
        if (x.resolver.error_page_failed() && core_.resource_errors.allow(core_.now_ms))
            spdlog::warn("worker {}: error page \"{}\" cannot be served; sending the built-in one", core_.index,
                         x.resolver.path());
        break;
    }
    x.file.reset();
    x.simple_status = x.resolver.status();
    respond_builtin(c, x);
}

// The open-file cache first; the ring only on a miss.
void Responder::lookup(Connection& c, Exchange& x) {
    if (fs::CachedFile* e = cache_.lookup(cache_key(x), core_.now_ms)) return found_entry(c, x, e);
    submit_open(c, x);
}

void Responder::found_entry(Connection& c, Exchange& x, fs::CachedFile* e) {
    // A regular file is held from here: the resolver serves it or keeps it while
    // probing sidecars; any other answer drops it with the exchange.
    if (!e->error && e->kind == fs::FileKind::Regular) x.fref = cache_.ref(e);
    act(c, x, x.resolver.on_found({e->error, e->kind}));
}

// An open or statx that failed for a reason not cached (EMFILE, EIO …).
void Responder::lookup_failed(Connection& c, Exchange& x, int err) {
    x.file.reset();
    if (fs::classify_open_error(err).severity == fs::Severity::Loud && core_.resource_errors.allow(core_.now_ms))
        spdlog::error("worker {}: open \"{}\": {} ({} similar suppressed)", core_.index, x.resolver.path(),
                      std::strerror(err), core_.resource_errors.suppressed());
    act(c, x, x.resolver.on_found({err, fs::FileKind::Other}));
}

// The resolver chose the file in x.fref: a sidecar's ETag is the plain file's
// with "-<coding>" (one validator per representation).
void Responder::serve_found(Connection& c, Exchange& x) {
    if (const int coding = x.resolver.coding(); coding >= 0) {
        const std::string& etag = x.fref->etag;  // "…" → "…-br"
        x.coded_etag.assign(etag, 0, etag.size() - 1);
        x.coded_etag += '-';
        x.coded_etag += http::coding_name(static_cast<http::Coding>(coding));
        x.coded_etag += '"';
    }
    respond_file(c, x);
}

void Responder::submit_open(Connection& c, Exchange& x) {
    // The path and open_how must stay put until the CQE: with SQPOLL the kernel reads
    // them after io_uring_submit returns. Both live in the connection / worker.
    io_uring_sqe* sqe = core_.submit(c, Op::Open, x.stream_slot);
    io_uring_prep_openat2(sqe, core_.ctx.sites[x.site].root.get(), x.resolver.path().c_str(), &how_);
    sqe->personality = personality_;
    if (!x.h2) c.state = ConnState::Opening;  // an HTTP/2 connection goes on with its other streams
}

void Responder::on_open(Connection& c, Exchange& x, int res) {
    if (c.state == ConnState::Closing) {
        if (res >= 0) ::close(res);
        return;
    }
    if (res < 0) {
        // Remember quiet failures (404/403): a flood of misses costs no opens.
        if (fs::classify_open_error(-res).severity == fs::Severity::Quiet)
            return found_entry(c, x, cache_.insert_error(cache_key(x), -res, core_.now_ms));
        if (res == -EMFILE || res == -ENFILE) {
            if (fs::CachedFile* e = cache_.last_known(cache_key(x))) return found_entry(c, x, e);
        }
        return lookup_failed(c, x, -res);
    }
    x.file.reset(res);
    io_uring_sqe* sqe = core_.submit(c, Op::Statx, x.stream_slot);
    io_uring_prep_statx(sqe, x.file.get(), "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE | STATX_MTIME, &x.st);
    sqe->personality = personality_;
    if (!x.h2) c.state = ConnState::Statting;
}

void Responder::on_statx(Connection& c, Exchange& x, int res) {
    if (c.state == ConnState::Closing) return;
    if (res < 0) return lookup_failed(c, x, -res);
    if (fs::kind_of(x.st) == fs::FileKind::Regular) {
        if (const int r = fs::clear_nonblock(x.file.get()); r < 0) return lookup_failed(c, x, -r);
    }
    fs::CachedFile* e = cache_.insert(cache_key(x), std::move(x.file), x.st, core_.now_ms);
    e->content_type = core_.ctx.mime.lookup(x.resolver.path());  // once per entry, not per request
    found_entry(c, x, e);
}

// A directory without an index, on a site that lists: the page is rendered into a
// memory file and cached under a key no path can have (it ends in NUL), so it is
// served like any file and rebuilt at most once per valid_ms.
void Responder::serve_listing(Connection& c, Exchange& x) {
    const http::ResolvedTarget& target = x.resolver.target();
    std::string key(cache_key(x.site, target.path));
    key += '\0';
    if (fs::CachedFile* e = cache_.lookup(key, core_.now_ms); e && !e->error) {
        x.fref = cache_.ref(e);
        return respond_file(c, x);
    }
    const fs::DirectoryRead dir = fs::read_directory(core_.ctx.sites[x.site].root.get(),
                                                     target.path.empty() ? "." : target.path.c_str(), how_, kMaxListed);
    if (dir.error) return lookup_failed(c, x, dir.error);
    UniqueFd fd = fs::memory_file(http::render_listing(target.path, dir.entries, dir.truncated));
    struct statx st {};
    if (!fd || ::statx(fd.get(), "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE | STATX_MTIME, &st) < 0)
        return lookup_failed(c, x, errno);
    fs::CachedFile* e = cache_.insert(key, std::move(fd), st, core_.now_ms);
    e->content_type = "text/html; charset=utf-8";
    x.fref = cache_.ref(e);
    respond_file(c, x);
}

void Responder::respond_file(Connection& c, Exchange& x) {
    if (!x.h2 && !core_.take_buffer(c, Pending::File)) return;
    const bool error_page = x.resolver.serving_error_page();
    if (!error_page && respond_conditional(c, x)) return;
    const fs::CachedFile& f = x.fref.get();
    http::ResponseHead head = file_head(c, x, http::Status::Ok);
    if (error_page) {  // the page stands in for the status: no validators, no ranges
        head.status = x.resolver.status();
        head.etag = head.last_modified = head.cache_control = {};
        head.accept_ranges = false;
        if (head.status == http::Status::MethodNotAllowed) head.allow = kAllow;
    }
    head.content_length = f.st.stx_size;
    const uint64_t size = f.st.stx_size;
    if (x.h2) {
        reply_h2(c, x, head);
        if (x.head_only || size == 0) return;
        load_small_body(x);
        x.h2->body.push_back({{}, 0, size});
        return;
    }
    const auto out = transport_.plain_area(c);
    const auto head_len = static_cast<uint32_t>(telemetry_.put_head(c, x, head, out));
    if (x.head_only || size == 0) return transport_.start_send(c, head_len);
    if (size <= out.size() - head_len && !body_.leaves_from_file(c, f)) {
        if (!f.body_loaded) return body_.submit_read_fixed(c, head_len);
        // Kept in memory: head and body in one send, no file I/O at all.
        std::memcpy(out.data() + head_len, f.body.data(), size);
        return transport_.start_send(c, head_len + static_cast<uint32_t>(size));
    }
    x.body_off = 0;
    x.body_left = size;
    body_.start_body(c, head_len);
}

// Any status (a parse error, 405, 412 …): the site's page for it, or the built-in one.
void Responder::respond_simple(Connection& c, Exchange& x, http::Status status, bool close) {
    if (close && !x.h2) c.keep_alive = false;  // HTTP/2: the stream ends, the connection stays
    if (core_.is_admin(c)) {                   // the admin listener is no site's: no error pages there
        x.simple_status = status;
        return respond_builtin(c, x);
    }
    act(c, x, x.resolver.respond(core_.ctx.sites[x.site].conf, status));
}

// The built-in page for x.simple_status, once a buffer is free.
void Responder::respond_builtin(Connection& c, Exchange& x) {
    if (!x.h2 && !core_.take_buffer(c, Pending::Simple)) return;
    http::ResponseHead head;
    head.status = x.simple_status;
    if (head.status == http::Status::MethodNotAllowed || head.status == http::Status::NoContent) head.allow = kAllow;
    if (head.status == http::Status::MovedPermanently || head.status == http::Status::PermanentRedirect)
        head.location = x.location;
    write_simple(c, x, head);
}

// A status with its small HTML page (none for 204), into the buffer `c` holds.
void Responder::write_simple(Connection& c, Exchange& x, http::ResponseHead head) {
    head.date = date_.get(clock::wall_seconds());
    head.extra = core_.ctx.sites[x.site].extra_for(c.tls != nullptr);
    head.keep_alive = c.keep_alive;
    head.http10_keep_alive = x.http10_keep_alive;
    if (x.h2) return reply_h2_simple(c, x, head);
    const auto out = transport_.plain_area(c);
    const auto len = head.status == http::Status::NoContent ? telemetry_.put_head(c, x, head, out)
                                                            : telemetry_.put_error(c, x, head, out);
    transport_.start_send(c, static_cast<uint32_t>(len));
}

// HTTP/2: the head becomes the stream's fields (counted as HTTP/1.1 heads are);
// the caller adds the body's segments.
void Responder::reply_h2(const Connection& c, Exchange& x, http::ResponseHead head) {
    telemetry_.note_head(c, x, head);
    head.extra = {};  // the site's lines, packed for HTTP/2 once (Site::extra_h2_for)
    http::append_h2_fields(head, x.h2->fields);
    x.h2->fields.append(core_.ctx.sites[x.site].extra_h2_for(c.tls != nullptr));
    x.h2->ready = true;
}

// HTTP/2 frames a small file's body from the cached copy: the first request reads it
// (one pread of at most small_file_max bytes) and keeps it, as HTTP/1.1's
// READ_FIXED behind the head does.
void Responder::load_small_body(Exchange& x) {
    const fs::CachedFile& f = x.fref.get();
    if (f.body_loaded || !cache_.wants_body(f)) return;
    std::vector<char> body(f.st.stx_size);
    if (::pread(f.fd.get(), body.data(), body.size(), 0) == static_cast<ssize_t>(body.size()))
        cache_.keep_body(x.fref.entry(), body);
}

void Responder::reply_h2_simple(const Connection& c, Exchange& x, http::ResponseHead head) {
    if (head.status == http::Status::NoContent) return reply_h2(c, x, head);
    std::string page = http::error_body(head.status);
    head.content_type = "text/html; charset=utf-8";
    head.content_length = page.size();
    reply_h2(c, x, head);
    if (!x.head_only) x.h2->body.push_back({std::move(page), 0, 0});
}

const http::Request& request_of(const Connection& c, const Exchange& x) {
    return x.request ? *x.request : c.parser.request();
}

}  // namespace uringd::server
