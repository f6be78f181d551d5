#pragma once
// user_data layout: slot (24 bits) | generation (16) | op (8) | aux (16).
// A completion whose generation does not match its slot's current one belongs to a
// previous occupant. `aux` carries what a late completion needs to find its
// resource (the registered buffer a SEND_ZC notification releases).
#include <cstdint>

namespace uringd::ring {

enum class Op : uint8_t {
    Accept = 1,  // slot = listener index
    Recv,
    Send,
    SendZc,  // result CQE, then a notification CQE (IORING_CQE_F_NOTIF)
    ReadFixed,
    Open,
    Statx,
    SpliceIn,    // file → pipe
    SpliceOut,   // pipe → socket
    Cancel,      // result ignored
    Wake,        // the worker's eventfd (cross-thread messages)
    Writable,    // POLLOUT on a socket that refused a non-blocking splice or sendfile
    SendMapped,  // a body piece sent from the file's mapping
    Watch,       // POLLIN on the worker's inotify instance (fs::ChangeWatch)
};

inline constexpr uint32_t kMaxSlots = 1u << 24;

struct Tag {
    uint32_t slot;
    uint16_t gen;
    Op op;
    uint16_t aux = 0;
};

constexpr uint64_t encode(Tag t) {
    return uint64_t{t.slot & (kMaxSlots - 1)} | uint64_t{t.gen} << 24 | uint64_t{static_cast<uint8_t>(t.op)} << 40 |
           uint64_t{t.aux} << 48;
}

constexpr Tag decode(uint64_t v) {
    return {static_cast<uint32_t>(v & (kMaxSlots - 1)), static_cast<uint16_t>(v >> 24),
            static_cast<Op>(static_cast<uint8_t>(v >> 40)), static_cast<uint16_t>(v >> 48)};
}

}  // namespace uringd::ring
