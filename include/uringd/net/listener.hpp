#pragma once
// Listening sockets: one per worker per address, SO_REUSEPORT so the kernel spreads
// connections, SO_INCOMING_CPU so a connection lands on the worker of the CPU that
// took its packets.
#include <uringd/base/address.hpp>
#include <uringd/base/unique_fd.hpp>

namespace uringd::net {

struct ListenOptions {
    int backlog = 4096;
    int incoming_cpu = -1;  // -1: leave unset
};

// Throws uringd::Error naming the address on failure.
UniqueFd open_listener(const SocketAddress& addr, const ListenOptions& opts);

// SO_REUSEPORT lets any socket of the same user join a port and take a share of its
// connections, so a second server started by mistake would serve silently. Binding
// once without it, before our own sockets exist, finds any other listener there.
// Throws uringd::Error ("address already in use") when the address is taken.
void check_address_free(const SocketAddress& addr);

// Per accepted connection: TCP_NODELAY (responses are written whole; no Nagle delay).
void tune_accepted(int fd);

}  // namespace uringd::net
