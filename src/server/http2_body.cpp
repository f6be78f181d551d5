// HTTP/2 response bodies as DATA frames (see http2_body.hpp).
#include <uringd/server/http2_body.hpp>

#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace uringd::server::h2body {

namespace {

// File bytes [off, off + n) of the stream's file into `dst`: from its cached copy
// now, or left in `reads` for the flush to read (the page cache's copy into the
// buffer is the one copy a body makes).
bool take_file(const H2Stream& s, uint64_t off, char* dst, std::size_t n, std::vector<H2FileRead>& reads) {
    const fs::CachedFile& f = s.ex.fref.get();
    if (!f.body_loaded) {
        reads.push_back({s.ex.fref.share(), off, dst, n});
        return true;
    }
    if (off + n > f.body.size()) return false;
    std::memcpy(dst, f.body.data() + off, n);
    return true;
}

// The next `n` body bytes of a reply: segment texts, then their file ranges.
bool copy_body(H2Stream& s, char* dst, std::size_t n, std::vector<H2FileRead>& reads) {
    H2Reply& r = s.reply;
    while (n > 0) {
        if (r.seg >= r.body.size()) return false;
        const H2Reply::Segment& seg = r.body[r.seg];
        std::size_t k = 0;
        if (r.seg_pos < seg.text.size()) {
            k = std::min<std::size_t>(n, seg.text.size() - r.seg_pos);
            std::memcpy(dst, seg.text.data() + r.seg_pos, k);
        } else {
            const uint64_t off = seg.off + r.seg_pos - seg.text.size();
            k = static_cast<std::size_t>(std::min<uint64_t>(n, seg.off + seg.len - off));
            if (k > 0 && !take_file(s, off, dst, k, reads)) return false;
        }
        dst += k;
        n -= k;
        r.seg_pos += k;
        if (r.seg_pos == seg.text.size() + seg.len) {
            ++r.seg;
            r.seg_pos = 0;
        }
    }
    return true;
}

// reads[i, i + n) from one file, each starting where the one before ended: one
// preadv, and a pread for what a short read leaves. False when the file ends first.
bool read_run(const H2FileRead* run, std::size_t n) {
    std::array<iovec, 64> iov{};
    std::size_t total = 0;
    for (std::size_t i = 0; i < n; ++i) {
        iov[i] = {run[i].dst, run[i].len};
        total += run[i].len;
    }
    const int fd = run[0].file->fd.get();
    ssize_t r = 0;
    do r = ::preadv(fd, iov.data(), static_cast<int>(n), static_cast<off_t>(run[0].off));
    while (r < 0 && errno == EINTR);
    if (r < 0) return false;
    auto done = static_cast<std::size_t>(r);
    // Rare: a read cut short (a signal, a file that shrank); finish piece by piece.
    for (std::size_t i = 0; done < total && i < n; ++i) {
        if (done >= run[i].len) {
            done -= run[i].len;
            total -= run[i].len;
            continue;
        }
        for (std::size_t at = done; at < run[i].len;) {
            const ssize_t k = ::pread(fd, run[i].dst + at, run[i].len - at, static_cast<off_t>(run[i].off + at));
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) return false;
            at += static_cast<std::size_t>(k);
        }
        done = 0;
        total -= run[i].len;
    }
    return true;
}

}  // namespace

bool read_frames(std::vector<H2FileRead>& reads) {
    bool ok = true;
    for (std::size_t i = 0; ok && i < reads.size();) {
        std::size_t n = 1;
        while (i + n < reads.size() && n < 64 && reads[i + n].file.entry() == reads[i].file.entry() &&
               reads[i + n].off == reads[i + n - 1].off + reads[i + n - 1].len)
            ++n;
        ok = read_run(&reads[i], n);
        if (!ok) fs::FileCache::invalidate(reads[i].file.entry());
        i += n;
    }
    reads.clear();
    return ok;
}

// A DATA frame whole, or nothing yet: its header, then its payload copied in place.
int send_data(nghttp2_session*, nghttp2_frame* frame, const uint8_t* framehd, size_t length,
              nghttp2_data_source* source, void* user_data) {
    H2Connection& h = conn_of(user_data);
    auto& s = *static_cast<H2Stream*>(source->ptr);
    if (frame->data.padlen > 0) return NGHTTP2_ERR_CALLBACK_FAILURE;  // never asked for
    if (h.out.size() - h.out_len < kFrameHeader + length) return NGHTTP2_ERR_WOULDBLOCK;
    char* dst = h.out.data() + h.out_len;
    std::memcpy(dst, framehd, kFrameHeader);
    if (!copy_body(s, dst + kFrameHeader, length, h.reads)) {
        // The cached copy is shorter than the length promised: the stream is reset
        // (INTERNAL_ERROR) and the cache looks at the file again.
        fs::FileCache::invalidate(s.ex.fref.entry());
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    h.out_len += static_cast<uint32_t>(kFrameHeader + length);
    h.data_sent = true;
    return 0;
}

// How much of the body the next DATA frame carries; the bytes are copied in send_data.
ssize_t read_body(nghttp2_session*, int32_t, uint8_t*, size_t length, uint32_t* flags, nghttp2_data_source* source,
                  void* user_data) {
    auto& s = *static_cast<H2Stream*>(source->ptr);
    // A frame fits an empty output buffer (small fixed_buffer_size, user-space TLS's half).
    const std::size_t room = conn_of(user_data).out.size() - kFrameHeader;
    const auto n = static_cast<std::size_t>(std::min<uint64_t>({length, kFramePayload, room, s.body_unread}));
    s.body_unread -= n;
    *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
    if (s.body_unread == 0) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
}

}  // namespace uringd::server::h2body
