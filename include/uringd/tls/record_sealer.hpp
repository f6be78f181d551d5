#pragma once
// TLS records sealed in user space with the very parameters OpenSSL hands to kernel
// TLS (a struct tls12_crypto_info_*): net/tls's transmit path, done by uringd where
// the kernel has none. Plaintext goes from the caller's span straight into records
// in the output span — no OpenSSL write buffer, no second copy. Pure: bytes in,
// bytes out.
#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace uringd::tls {

class RecordSealer {
public:
    static constexpr std::size_t kMaxRecordPlaintext = 16384;

    // Takes the write keys (AES-128/256-GCM or ChaCha20-Poly1305, TLS 1.2 or 1.3); a
    // later call re-keys (TLS 1.3 KeyUpdate). False, and unchanged, for anything else.
    bool set_keys(const void* crypto_info);
    bool keyed() const { return keyed_; }
    // Gives the keys up (OpenSSL's record layer takes over again).
    void retire() { keyed_ = false; }

    // Bytes `plain_len` bytes take once sealed (records of at most 16 KiB).
    std::size_t sealed_size(std::size_t plain_len) const;
    // Seals all of `plain` as records of `content_type` into the front of `out`; the
    // bytes written, or 0 (nothing written) when `out` has not sealed_size() room.
    std::size_t seal(uint8_t content_type, std::span<const char> plain, std::span<char> out);

private:
    struct CtxDeleter {
        void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
    };
    std::size_t seal_record(uint8_t content_type, std::span<const char> plain, char* out);

    std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter> ctx_;
    bool keyed_ = false;
    bool tls13_ = false;
    bool explicit_nonce_ = false;  // TLS 1.2 AES-GCM: salt || an 8-byte nonce sent in the record
    unsigned char iv_[12] = {};    // the fixed IV (TLS 1.2 GCM: salt, then the explicit nonce)
    uint64_t seq_ = 0;
};

}  // namespace uringd::tls
