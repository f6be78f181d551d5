#include <uringd/base/unique_fd.hpp>
#include <uringd/tls/ktls.hpp>

#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <utility>

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

namespace uringd::tls::ktls {

namespace {

// Sends what OpenSSL wrote under the old keys; false unless all of it went.
bool flush_pending(detail::SpanIo& io) {
    std::size_t sent = 0;
    while (sent < io.out_used) {
        const long n = io.hooks->send(io.fd, io.out.data() + sent, io.out_used - sent, -1, io.hooks->user);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
    }
    // Keep whatever did not go, in order, for the ring to send (user-space path).
    std::memmove(io.out.data(), io.out.data() + sent, io.out_used - sent);
    io.out_used -= sent;
    return io.out_used == 0;
}

long socket_send(int fd, const char* data, std::size_t len, int record_type, void*) {
    if (record_type < 0) {
        const long n = ::send(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        return n < 0 ? -errno : n;
    }
    // One non-application record (handshake, alert) through the kernel's record layer.
    char control[CMSG_SPACE(sizeof(unsigned char))] = {};
    iovec iov{const_cast<char*>(data), len};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_TLS;
    cmsg->cmsg_type = TLS_SET_RECORD_TYPE;
    cmsg->cmsg_len = CMSG_LEN(sizeof(unsigned char));
    *CMSG_DATA(cmsg) = static_cast<unsigned char>(record_type);
    const long n = ::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    return n < 0 ? -errno : n;
}

int socket_install_tx(int fd, const void* info, std::size_t len, void*) {
    if (::setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof "tls") < 0 && errno != EEXIST) return -errno;
    if (::setsockopt(fd, SOL_TLS, TLS_TX, info, static_cast<socklen_t>(len)) < 0) return -errno;
    return 0;
}

const KtlsHooks kSocketHooks{&socket_send, &socket_install_tx, nullptr};

}  // namespace

std::size_t crypto_info_size(const void* crypto_info) {
    tls_crypto_info header{};
    std::memcpy(&header, crypto_info, sizeof header);
    switch (header.cipher_type) {
    case TLS_CIPHER_AES_GCM_128: return sizeof(tls12_crypto_info_aes_gcm_128);
    case TLS_CIPHER_AES_GCM_256: return sizeof(tls12_crypto_info_aes_gcm_256);
    case TLS_CIPHER_CHACHA20_POLY1305: return sizeof(tls12_crypto_info_chacha20_poly1305);
    default: return 0;
    }
}

bool take_keys(detail::SpanIo& io, bool is_tx, const void* crypto_info) {
    if (!is_tx || !io.hooks || io.fd < 0) return false;
    if (io.ktls_tx) {
        // New write keys after the hand-off (a KeyUpdate): kernel 6.1 cannot re-key a
        // TLS socket, so the connection must end (write_record refuses from now on).
        io.failed = true;
        return false;
    }
    const std::size_t len = crypto_info_size(crypto_info);
    if (len == 0 || !flush_pending(io)) return false;
    if (io.hooks->install_tx(io.fd, crypto_info, len, io.hooks->user) != 0) return false;
    io.ktls_tx = true;
    return true;
}

bool is_key_update(int record_type, const char* data, int len) {
    constexpr int kHandshake = 22, kKeyUpdate = 24;
    return record_type == kHandshake && len > 0 && static_cast<unsigned char>(data[0]) == kKeyUpdate;
}

int write_record(detail::SpanIo& io, const char* data, int len) {
    const int type = std::exchange(io.record_type, -1);
    // OpenSSL 3.0 re-keys after its KeyUpdate without handing the kernel the new keys,
    // and kernel 6.1 could not take them anyway: the connection ends instead.
    if (is_key_update(type, data, len)) io.failed = true;
    if (io.failed) return -1;
    const long n = io.hooks->send(io.fd, data, static_cast<std::size_t>(len), type, io.hooks->user);
    if (n != len) {
        // Post-handshake records are small; one that cannot go at once ends the connection.
        io.failed = true;
        return -1;
    }
    return len;
}

const KtlsHooks& socket_hooks() { return kSocketHooks; }

bool kernel_supports_tls() {
    UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof addr;
    if (!listener || ::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
        ::listen(listener.get(), 1) < 0 || ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &alen) < 0)
        return false;
    UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!client || ::connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) return false;
    // The ULP attaches only to an established socket.
    return ::setsockopt(client.get(), SOL_TCP, TCP_ULP, "tls", sizeof "tls") == 0;
}

}  // namespace uringd::tls::ktls
