// From a parsed request to a response head in a registered buffer: open beneath the
// root, statx, directories and index files, errors.
#include <uringd/base/clock.hpp>
#include <uringd/fs/file.hpp>
#include <uringd/fs/listing.hpp>
#include <uringd/server/worker.hpp>

#include <fcntl.h>

#include <cstring>

namespace uringd::server {

using ring::Op;

namespace {

constexpr std::string_view kAllow = "GET, HEAD, OPTIONS";
constexpr std::size_t kMaxListed = 10000;

}  // namespace

// Sites share the worker's cache: the key is the site's index, then the path.
std::string_view Worker::cache_key(const Connection& c) {
    key_.assign(1, static_cast<char>(c.site));
    key_ += c.open_path;
    return key_;
}

// The open-file cache first; the ring only on a miss.
void Worker::serve_path(Connection& c) {
    if (fs::CachedFile* e = cache_.lookup(cache_key(c), now_ms_)) return serve_entry(c, e);
    submit_open(c);
}

void Worker::serve_entry(Connection& c, fs::CachedFile* e) {
    if (c.probing_sidecar) return on_sidecar(c, e);
    if (c.error_page && (e->error || e->kind != fs::FileKind::Regular)) return error_page_failed(c);
    if (e->error) {
        if (c.opening_index && (e->error == ENOENT || e->error == ENOTDIR)) return open_next_index(c);
        return respond_open_error(c, e->error);
    }
    switch (e->kind) {
    case fs::FileKind::Directory:
        if (c.opening_index) return respond_simple(c, http::Status::Forbidden);
        return on_directory(c);
    case fs::FileKind::Other: return respond_simple(c, http::Status::Forbidden);
    case fs::FileKind::Regular: break;
    }
    // "/file.txt/" names a directory: a file has one URL (as nginx, h2o, lighttpd).
    if (c.target.trailing_slash && !c.opening_index && !c.error_page) return respond_simple(c, http::Status::NotFound);
    c.fref = cache_.ref(e);
    if (!try_sidecars(c)) respond_file(c);
}

// Starts probing for a precompressed sibling the client accepts. False: serve the
// plain file (the site does not precompress, or the client asked for no coding).
bool Worker::try_sidecars(Connection& c) {
    c.coding = -1;
    if (!ctx_.sites[c.site].conf.precompressed || c.error_page) return false;
    c.codings = http::negotiate_encoding(c.parser.request().header("Accept-Encoding"));
    if (c.codings.count == 0 && c.codings.identity_ok) return false;
    c.identity = std::move(c.fref);
    c.base_len = static_cast<uint32_t>(c.open_path.size());
    c.coding_try = 0;
    next_sidecar(c);
    return true;
}

void Worker::next_sidecar(Connection& c) {
    c.open_path.resize(c.base_len);
    if (c.coding_try == c.codings.count) {  // none there: the plain file, if acceptable
        c.probing_sidecar = false;
        if (!c.codings.identity_ok) {
            c.identity.reset();
            return respond_simple(c, http::Status::NotAcceptable);
        }
        c.fref = std::move(c.identity);
        return respond_file(c);
    }
    c.open_path += http::sidecar_suffix(c.codings.order[c.coding_try]);
    c.probing_sidecar = true;
    serve_path(c);  // comes back through serve_entry → on_sidecar
}

// A sidecar that failed to open for a reason worth logging: try the next one.
void Worker::skip_sidecar(Connection& c) {
    c.file.reset();
    if (resource_errors_.allow(now_ms_))
        spdlog::warn("worker {}: sidecar \"{}\" could not be opened; trying the next", opts_.index, c.open_path);
    ++c.coding_try;
    next_sidecar(c);
}

void Worker::on_sidecar(Connection& c, fs::CachedFile* e) {
    if (e->error || e->kind != fs::FileKind::Regular) {
        ++c.coding_try;
        return next_sidecar(c);
    }
    c.probing_sidecar = false;
    c.coding = static_cast<int8_t>(c.codings.order[c.coding_try]);
    c.fref = cache_.ref(e);
    c.identity.reset();
    c.open_path.resize(c.base_len);  // Content-Type and Cache-Control follow the plain name
    const std::string& etag = c.fref->etag;  // "…" → "…-br": one ETag per coding
    c.coded_etag.assign(etag, 0, etag.size() - 1);
    c.coded_etag += '-';
    c.coded_etag += http::coding_name(c.codings.order[c.coding_try]);
    c.coded_etag += '"';
    respond_file(c);
}

void Worker::submit_open(Connection& c) {
    io_uring_sqe* sqe = ring_.sqe();
    // The path and open_how must stay put until the CQE: with SQPOLL the kernel reads
    // them after io_uring_submit returns. Both live in the connection / worker.
    io_uring_prep_openat2(sqe, ctx_.sites[c.site].root.get(), c.open_path.c_str(), &how_);
    sqe->personality = personality_;
    io_uring_sqe_set_data64(sqe, tag(c, Op::Open));
    ++c.inflight;
    c.state = ConnState::Opening;
}

void Worker::on_open(Connection& c, int res) {
    if (c.state == ConnState::Closing) {
        if (res >= 0) ::close(res);
        return;
    }
    if (res < 0) {
        // Remember quiet failures (404/403): a flood of misses costs no opens.
        if (fs::classify_open_error(-res).severity == fs::Severity::Quiet)
            return serve_entry(c, cache_.insert_error(cache_key(c), -res, now_ms_));
        if (res == -EMFILE || res == -ENFILE) {
            if (fs::CachedFile* e = cache_.last_known(cache_key(c))) return serve_entry(c, e);
        }
        if (c.probing_sidecar) return skip_sidecar(c);
        if (c.error_page) return error_page_failed(c);
        return respond_open_error(c, -res);
    }
    c.file.reset(res);
    io_uring_sqe* sqe = ring_.sqe();
    io_uring_prep_statx(sqe, c.file.get(), "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE | STATX_MTIME, &c.st);
    sqe->personality = personality_;
    io_uring_sqe_set_data64(sqe, tag(c, Op::Statx));
    ++c.inflight;
    c.state = ConnState::Statting;
}

void Worker::on_statx(Connection& c, int res) {
    if (c.state == ConnState::Closing) return;
    if (res < 0 && c.error_page) return error_page_failed(c);
    if (res < 0) return c.probing_sidecar ? skip_sidecar(c) : respond_open_error(c, -res);
    if (fs::kind_of(c.st) == fs::FileKind::Regular) {
        if (const int r = fs::clear_nonblock(c.file.get()); r < 0)
            return c.probing_sidecar ? skip_sidecar(c) : respond_open_error(c, -r);
    }
    fs::CachedFile* e = cache_.insert(cache_key(c), std::move(c.file), c.st, now_ms_);
    e->content_type = ctx_.mime.lookup(c.open_path);  // once per entry, not per request
    serve_entry(c, e);
}

void Worker::on_directory(Connection& c) {
    if (!c.target.trailing_slash) {
        // RFC 9110 §15.4.2: the directory's URL ends with '/'; keep the query string.
        c.location.assign("/");
        http::append_encoded_path(c.location, c.target.path);
        c.location += '/';
        if (!c.target.query.empty()) {
            c.location += '?';
            c.location += c.target.query;
        }
        return respond_simple(c, http::Status::MovedPermanently);
    }
    c.opening_index = true;
    c.index_try = 0;
    open_next_index(c);
}

void Worker::open_next_index(Connection& c) {
    const auto& index = ctx_.sites[c.site].conf.index;
    if (c.index_try >= index.size()) {
        if (ctx_.sites[c.site].conf.listing) return serve_listing(c);
        return respond_simple(c, http::Status::Forbidden);
    }
    c.open_path = c.target.path.empty() ? index[c.index_try] : c.target.path + "/" + index[c.index_try];
    ++c.index_try;
    serve_path(c);
}

// A directory without an index, on a site that lists: the page is rendered into a
// memory file and cached under a key no path can have (it ends in NUL), so it is
// served like any file and rebuilt at most once per valid_ms.
void Worker::serve_listing(Connection& c) {
    c.open_path = c.target.path;
    std::string key(cache_key(c));
    key += '\0';
    if (fs::CachedFile* e = cache_.lookup(key, now_ms_); e && !e->error) {
        c.fref = cache_.ref(e);
        return respond_file(c);
    }
    const fs::DirectoryRead dir = fs::read_directory(ctx_.sites[c.site].root.get(),
                                                     c.target.path.empty() ? "." : c.target.path.c_str(), how_,
                                                     kMaxListed);
    if (dir.error) return respond_open_error(c, dir.error);
    UniqueFd fd = fs::memory_file(http::render_listing(c.target.path, dir.entries, dir.truncated));
    struct statx st{};
    if (!fd || ::statx(fd.get(), "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE | STATX_MTIME, &st) < 0)
        return respond_open_error(c, errno);
    fs::CachedFile* e = cache_.insert(key, std::move(fd), st, now_ms_);
    e->content_type = "text/html; charset=utf-8";
    c.fref = cache_.ref(e);
    respond_file(c);
}

void Worker::error_page_failed(Connection& c) {
    c.file.reset();
    c.error_page = false;
    if (resource_errors_.allow(now_ms_))
        spdlog::warn("worker {}: error page \"{}\" cannot be served; sending the built-in one", opts_.index,
                     c.open_path);
    respond_simple(c, c.error_status);
}

void Worker::respond_open_error(Connection& c, int err) {
    c.file.reset();
    const auto f = fs::classify_open_error(err);
    if (f.severity == fs::Severity::Loud && resource_errors_.allow(now_ms_))
        spdlog::error("worker {}: open \"{}\": {} ({} similar suppressed)", opts_.index, c.open_path,
                      std::strerror(err), resource_errors_.suppressed());
    respond_simple(c, f.status);
}

// A buffer for the response head, or park the connection until one is free.
bool Worker::take_buffer(Connection& c, Pending what) {
    if (auto lease = fixed_.acquire()) {
        c.buf = std::move(*lease);
        return true;
    }
    c.pending = what;
    c.state = ConnState::WaitingBuffer;
    c.timer = Timer::None;
    if (!c.in_wait_list) {
        c.in_wait_list = true;
        buffer_waiters_.push_back(c.slot);
    }
    return false;
}

void Worker::resume_buffer_waiters() {
    while (!buffer_waiters_.empty() && fixed_.available() > 0) {
        Connection& c = *slab_[buffer_waiters_.front()];
        buffer_waiters_.pop_front();
        c.in_wait_list = false;
        if (c.state != ConnState::WaitingBuffer) continue;  // closed meanwhile
        const Pending p = std::exchange(c.pending, Pending::None);
        if (p == Pending::File) {
            respond_file(c);
        } else if (p == Pending::Part) {
            next_part_or_done(c);
        } else if (p == Pending::Chunk) {
            continue_body(c);  // takes the buffer it waited for, then the next chunk
        } else if (p == Pending::Handshake) {
            c.state = ConnState::Handshaking;
            take_held_input(c);
            if (c.input_failed) begin_close(c);
        } else {
            respond_simple(c, c.simple_status, !c.keep_alive);
        }
        finish_close_if_done(c);
    }
}

void Worker::respond_file(Connection& c) {
    if (!take_buffer(c, Pending::File)) return;
    if (!c.error_page && respond_conditional(c)) return;
    const fs::CachedFile& f = c.fref.get();
    http::ResponseHead head = file_head(c, http::Status::Ok);
    if (c.error_page) {  // the page stands in for the status: no validators, no ranges
        head.status = c.error_status;
        head.etag = head.last_modified = head.cache_control = {};
        head.accept_ranges = false;
        if (c.error_status == http::Status::MethodNotAllowed) head.allow = kAllow;
    }
    head.content_length = f.st.stx_size;
    const auto out = plain_area(c);
    const auto head_len = static_cast<uint32_t>(put_head(c, head, out));
    const uint64_t size = f.st.stx_size;
    if (c.head_only || size == 0) return start_send(c, head_len);
    if (size <= out.size() - head_len) {
        if (!f.body_loaded) return submit_read_fixed(c, head_len);
        // Kept in memory: head and body in one send, no file I/O at all.
        std::memcpy(out.data() + head_len, f.body.data(), size);
        return start_send(c, head_len + static_cast<uint32_t>(size));
    }
    c.body_off = 0;
    c.body_left = size;
    start_send(c, head_len);  // then the body: splice, or chunks over user-space TLS
}

void Worker::respond_simple(Connection& c, http::Status status, bool close) {
    c.file.reset();
    if (close) c.keep_alive = false;
    if (serve_error_page(c, status)) return;
    c.simple_status = status;
    if (!take_buffer(c, Pending::Simple)) return;
    http::ResponseHead head;
    head.status = status;
    if (status == http::Status::MethodNotAllowed || status == http::Status::NoContent) head.allow = kAllow;
    if (status == http::Status::MovedPermanently || status == http::Status::PermanentRedirect)
        head.location = c.location;
    write_simple(c, head);
}

// The site's own page for this status, if it has one (tried once per request: a
// page that cannot be served falls back to the built-in one).
bool Worker::serve_error_page(Connection& c, http::Status status) {
    if (c.error_page_tried || http::code(status) < 400) return false;
    for (const auto& page : ctx_.sites[c.site].conf.error_pages) {
        if (page.status != http::code(status)) continue;
        c.error_page_tried = true;
        c.error_page = true;
        c.error_status = status;
        c.fref.reset();
        c.opening_index = false;
        c.open_path = page.path;
        serve_path(c);
        return true;
    }
    return false;
}

// A status with its small HTML page (none for 204), into the buffer `c` holds.
void Worker::write_simple(Connection& c, http::ResponseHead head) {
    head.date = date_.get(clock::wall_seconds());
    head.extra = ctx_.sites[c.site].extra_for(c.tls != nullptr);
    head.keep_alive = c.keep_alive;
    head.http10_keep_alive = c.http10_keep_alive;
    const auto len = head.status == http::Status::NoContent
                         ? put_head(c, head, plain_area(c))
                         : put_error(c, head, plain_area(c));
    start_send(c, static_cast<uint32_t>(len));
}

}  // namespace uringd::server
