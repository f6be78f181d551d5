#pragma once
// How a response's body leaves after its head: a small file read into the
// registered buffer behind the head; a large one by sendfile from the page cache,
// from the file's mapping, by splice rounds file → pipe → socket, or chunk by chunk
// through the registered buffer (user-space TLS, which must encrypt every byte). The
// progress lives in the connection's Exchange; continue_body and the completions
// return whether the body is out.
#include <uringd/fs/file_cache.hpp>
#include <uringd/server/core.hpp>
#include <uringd/server/pipe_pool.hpp>
#include <uringd/server/transport.hpp>

#include <cstdint>

namespace uringd::server {

class BodySender {
public:
    BodySender(WorkerCore& core, Transport& transport, fs::FileCache& cache);

    // Whether a body that would fit behind the head in the registered buffer is
    // better sent like a large one: not kept in memory, and a path without the
    // copy into the buffer (mapped sends or sendfile) is open.
    bool leaves_from_file(const Connection& c, const fs::CachedFile& f) const;
    // The head is in plain_area()[0, head_len); the file's whole body fits behind it.
    void submit_read_fixed(Connection& c, uint32_t head_len);
    void on_read_fixed(Connection& c, int res);
    // The head is in plain_area()[0, head_len); a body of c.ex.body_left bytes, too
    // large to fit behind it, follows (read chunk by chunk: its first chunk behind
    // the head, in the same send).
    void start_body(Connection& c, uint32_t head_len);
    // The next piece of c.ex.body_left bytes from c.ex.body_off, the head being out.
    // True when that finished the body (sendfile may send it all at once).
    bool continue_body(Connection& c);
    // Completions that may end the body: true when its last byte is on the socket.
    bool on_mapped_send(Connection& c, int res);
    bool on_splice(Connection& c, ring::Op op, int res);
    bool on_writable(Connection& c, int res);

private:
    enum class Path : uint8_t { Mapped, Sendfile, Splice, Chunks };
    Path path_of(const Connection& c) const;
    void submit_read(Connection& c, uint32_t head_len, uint64_t off);
    void read_chunk(Connection& c, uint32_t head_len);
    bool start_sendfile(Connection& c);
    bool send_file_piece(Connection& c);
    bool start_mapped(Connection& c);
    bool submit_mapped_send(Connection& c);
    void start_splice(Connection& c);
    void submit_splice_round(Connection& c);
    void submit_writable_poll(Connection& c);
    void file_shrank(Connection& c);

    WorkerCore& core_;
    Transport& transport_;
    fs::FileCache& cache_;
    PipePool pipes_;
};

}  // namespace uringd::server
