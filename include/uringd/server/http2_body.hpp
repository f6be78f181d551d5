// HTTP/2 response bodies as DATA frames: how much the next frame carries, its
// header and payload laid out in the flush's output, and the file reads that fill
// the payloads once every frame of the flush is laid out.
#pragma once

#include <uringd/server/http2_session.hpp>

#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace uringd::server::h2body {

// One DATA frame per TLS record: a 9-byte header and 16 375 bytes of payload fill a
// 16 KiB record exactly, so kernel TLS emits no small record for a frame's header.
constexpr std::size_t kFrameHeader = 9;
constexpr std::size_t kFramePayload = 16384 - kFrameHeader;

inline H2Connection& conn_of(void* user_data) { return *static_cast<H2Connection*>(user_data); }

// nghttp2's data source read callback: the next DATA frame's length.
ssize_t read_body(nghttp2_session*, int32_t, uint8_t*, size_t length, uint32_t* flags, nghttp2_data_source* source,
                  void* user_data);
// nghttp2's send_data callback: a DATA frame whole into the output, or nothing yet.
int send_data(nghttp2_session*, nghttp2_frame* frame, const uint8_t* framehd, size_t length,
              nghttp2_data_source* source, void* user_data);
// Every file byte the flush's frames carry. False when a file ended before its
// promised length (the cache looks at it again).
bool read_frames(std::vector<H2FileRead>& reads);

}  // namespace uringd::server::h2body
