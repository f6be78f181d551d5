#pragma once
// Kernel TLS hand-off: what the session's BIO does when OpenSSL offers it the write
// keys, and the socket-level operations behind it.
#include <uringd/tls/session.hpp>

#include <cstddef>

namespace uringd::tls::ktls {

// BIO_CTRL_SET_KTLS: takes the write keys when this session allows it. Bytes still
// pending in the output span (written under the previous keys) are sent first; if
// they cannot all go now, or the cipher is not one the kernel takes, or the kernel
// refuses, the answer is false and OpenSSL keeps encrypting in user space.
// Receive keys are declined: RX stays in OpenSSL (docs/tls.md says why).
bool take_keys(detail::SpanIo& io, bool is_tx, const void* crypto_info);

// Whether a record OpenSSL writes is a TLS 1.3 KeyUpdate (after which it switches
// its write keys without offering them again).
bool is_key_update(int record_type, const char* data, int len);

// A record OpenSSL writes after the hand-off (plaintext; the kernel encrypts it).
int write_record(detail::SpanIo& io, const char* data, int len);

// Size of the struct tls12_crypto_info_* behind `crypto_info` (by its cipher_type),
// or 0 for ciphers the kernel path does not take.
std::size_t crypto_info_size(const void* crypto_info);

// The real hooks: send(2)/sendmsg(2) with TLS_SET_RECORD_TYPE, and
// setsockopt(TCP_ULP "tls") + setsockopt(SOL_TLS, TLS_TX).
const KtlsHooks& socket_hooks();

// Whether this kernel accepts the "tls" ULP on a TCP socket (probed on loopback).
bool kernel_supports_tls();

}  // namespace uringd::tls::ktls
