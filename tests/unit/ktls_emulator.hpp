#pragma once
// Test support: a stand-in for the kernel's TLS transmit path. It takes the
// struct tls12_crypto_info_* that uringd's BIO hands to "setsockopt(TLS_TX)" and
// seals every later send into TLS records exactly as net/tls does (nonce, AAD,
// explicit IV, sequence numbers), so an OpenSSL client can check every field.
#include <uringd/tls/session.hpp>

#include <linux/tls.h>
#include <openssl/bio.h>
#include <openssl/evp.h>

#include <cstring>
#include <vector>

namespace uringd::test {

class EmulatedKernelTls {
public:
    explicit EmulatedKernelTls(BIO* wire) : wire_(wire) {}

    tls::KtlsHooks hooks() { return {&send_hook, &install_hook, this}; }
    bool installed() const { return installed_; }
    uint16_t cipher() const { return cipher_; }
    const std::vector<unsigned char>& key() const { return key_; }
    // salt || iv for GCM, the whole iv for ChaCha20-Poly1305 (the 12-byte TLS 1.3 IV).
    std::vector<unsigned char> full_iv() const {
        std::vector<unsigned char> v(salt_);
        v.insert(v.end(), iv_.begin(), iv_.end());
        return v;
    }
    uint64_t initial_seq() const { return initial_seq_; }
    int records_sealed() const { return records_; }

private:
    static long send_hook(int, const char* data, std::size_t len, int type, void* user) {
        auto* self = static_cast<EmulatedKernelTls*>(user);
        if (!self->installed_) {
            BIO_write(self->wire_, data, static_cast<int>(len));
            return static_cast<long>(len);
        }
        self->seal(type < 0 ? 23 : static_cast<uint8_t>(type), reinterpret_cast<const unsigned char*>(data), len);
        return static_cast<long>(len);
    }

    static int install_hook(int, const void* info, std::size_t len, void* user) {
        auto* self = static_cast<EmulatedKernelTls*>(user);
        tls_crypto_info h;
        std::memcpy(&h, info, sizeof h);
        self->version_ = h.version;
        self->cipher_ = h.cipher_type;
        bool ok = false;
        if (h.cipher_type == TLS_CIPHER_AES_GCM_128) ok = self->take<tls12_crypto_info_aes_gcm_128>(info, len);
        else if (h.cipher_type == TLS_CIPHER_AES_GCM_256) ok = self->take<tls12_crypto_info_aes_gcm_256>(info, len);
        else if (h.cipher_type == TLS_CIPHER_CHACHA20_POLY1305)
            ok = self->take<tls12_crypto_info_chacha20_poly1305>(info, len);
        if (!ok) return -EINVAL;
        self->initial_seq_ = self->seq_;
        self->installed_ = true;
        return 0;
    }

    template <typename Info>
    bool take(const void* info, std::size_t len) {
        if (len != sizeof(Info)) return false;  // the length must match the cipher's struct
        Info s;
        std::memcpy(&s, info, len);
        key_.assign(s.key, s.key + sizeof s.key);
        iv_.assign(s.iv, s.iv + sizeof s.iv);
        salt_.assign(s.salt, s.salt + sizeof s.salt);
        seq_ = be64(s.rec_seq);
        return true;
    }

    static uint64_t be64(const unsigned char* p) {
        uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
        return v;
    }
    static void put_be64(unsigned char* p, uint64_t v) {
        for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<unsigned char>(v);
    }

    const EVP_CIPHER* evp() const {
        if (cipher_ == TLS_CIPHER_AES_GCM_128) return EVP_aes_128_gcm();
        if (cipher_ == TLS_CIPHER_AES_GCM_256) return EVP_aes_256_gcm();
        return EVP_chacha20_poly1305();
    }

    void seal(uint8_t type, const unsigned char* data, std::size_t len) {
        const bool tls13 = version_ == TLS_1_3_VERSION;
        const bool gcm12 = !tls13 && cipher_ != TLS_CIPHER_CHACHA20_POLY1305;
        std::vector<unsigned char> plain(data, data + len);
        if (tls13) plain.push_back(type);  // TLSInnerPlaintext: content, then its type

        // Nonce: TLS 1.2 GCM = salt || explicit nonce (the iv field, +1 a record);
        // otherwise the 12-byte IV XOR the record sequence number (RFC 8446 §5.3).
        unsigned char nonce[12];
        if (gcm12) {
            std::memcpy(nonce, salt_.data(), 4);
            std::memcpy(nonce + 4, iv_.data(), 8);
        } else {
            const auto iv = full_iv();
            std::memcpy(nonce, iv.data(), 12);
            unsigned char s[8];
            put_be64(s, seq_);
            for (int i = 0; i < 8; ++i) nonce[4 + i] ^= s[i];
        }
        const std::size_t explicit_len = gcm12 ? 8 : 0;
        const std::size_t body = explicit_len + plain.size() + 16;
        unsigned char header[5] = {tls13 ? uint8_t{23} : type, 3, 3, static_cast<unsigned char>(body >> 8),
                                   static_cast<unsigned char>(body)};
        std::vector<unsigned char> aad;
        if (tls13) {
            aad.assign(header, header + 5);
        } else {  // seq || type || version || plaintext length (RFC 5246 §6.2.3.3)
            aad.resize(13);
            put_be64(aad.data(), seq_);
            aad[8] = type, aad[9] = 3, aad[10] = 3;
            aad[11] = static_cast<unsigned char>(plain.size() >> 8), aad[12] = static_cast<unsigned char>(plain.size());
        }
        std::vector<unsigned char> out(plain.size() + 16);
        EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
        int n = 0;
        EVP_EncryptInit_ex(ctx, evp(), nullptr, nullptr, nullptr);
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, nullptr);
        EVP_EncryptInit_ex(ctx, nullptr, nullptr, key_.data(), nonce);
        EVP_EncryptUpdate(ctx, nullptr, &n, aad.data(), static_cast<int>(aad.size()));
        EVP_EncryptUpdate(ctx, out.data(), &n, plain.data(), static_cast<int>(plain.size()));
        EVP_EncryptFinal_ex(ctx, out.data() + n, &n);
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, out.data() + plain.size());
        EVP_CIPHER_CTX_free(ctx);

        BIO_write(wire_, header, 5);
        if (gcm12) BIO_write(wire_, iv_.data(), 8);
        BIO_write(wire_, out.data(), static_cast<int>(out.size()));
        ++seq_;
        ++records_;
        if (gcm12)  // the kernel advances the explicit nonce with the sequence number
            for (int i = 7; i >= 0 && ++iv_[static_cast<std::size_t>(i)] == 0; --i) {}
    }

    BIO* wire_;
    bool installed_ = false;
    uint16_t version_ = 0, cipher_ = 0;
    std::vector<unsigned char> key_, iv_, salt_;
    uint64_t seq_ = 0, initial_seq_ = 0;
    int records_ = 0;
};

}  // namespace uringd::test
