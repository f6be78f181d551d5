#include <uringd/tls/record_sealer.hpp>

#include <linux/tls.h>

#include <algorithm>
#include <cstring>

namespace uringd::tls {

namespace {

constexpr std::size_t kHeader = 5, kTag = 16, kExplicitNonce = 8;
constexpr uint8_t kApplicationData = 23;

void put_be64(unsigned char* p, uint64_t v) {
    for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<unsigned char>(v);
}

uint64_t be64(const unsigned char* p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
    return v;
}

// The fields every struct tls12_crypto_info_* has, wherever its cipher puts them.
struct Keys {
    const EVP_CIPHER* cipher = nullptr;
    const unsigned char* key = nullptr;
    const unsigned char* salt = nullptr;  // empty for ChaCha20-Poly1305
    std::size_t salt_len = 0;
    const unsigned char* iv = nullptr;
    std::size_t iv_len = 0;
    const unsigned char* rec_seq = nullptr;
};

// Fetched once per process: an EVP_aes_128_gcm()-style handle would be looked up in
// the provider store again at every connection's key setup.
// Null if the provider has no such cipher (set_keys then declines the keys).
const EVP_CIPHER* fetched(const char* name) {
    return EVP_CIPHER_fetch(nullptr, name, nullptr);  // kept for the life of the process
}

const EVP_CIPHER* aes_128_gcm() {
    static const EVP_CIPHER* c = fetched("AES-128-GCM");
    return c;
}
const EVP_CIPHER* aes_256_gcm() {
    static const EVP_CIPHER* c = fetched("AES-256-GCM");
    return c;
}
const EVP_CIPHER* chacha20_poly1305() {
    static const EVP_CIPHER* c = fetched("ChaCha20-Poly1305");
    return c;
}

template <typename Info>
Keys keys_of(const void* crypto_info, const EVP_CIPHER* cipher) {
    const auto* info = static_cast<const Info*>(crypto_info);
    return {cipher, info->key, info->salt, sizeof info->salt, info->iv, sizeof info->iv, info->rec_seq};
}

}  // namespace

bool RecordSealer::set_keys(const void* crypto_info) {
    tls_crypto_info header{};
    std::memcpy(&header, crypto_info, sizeof header);
    if (header.version != TLS_1_2_VERSION && header.version != TLS_1_3_VERSION) return false;
    Keys k;
    switch (header.cipher_type) {
    case TLS_CIPHER_AES_GCM_128: k = keys_of<tls12_crypto_info_aes_gcm_128>(crypto_info, aes_128_gcm()); break;
    case TLS_CIPHER_AES_GCM_256: k = keys_of<tls12_crypto_info_aes_gcm_256>(crypto_info, aes_256_gcm()); break;
    case TLS_CIPHER_CHACHA20_POLY1305:
        k = keys_of<tls12_crypto_info_chacha20_poly1305>(crypto_info, chacha20_poly1305());
        break;
    default: return false;
    }
    if (k.cipher == nullptr || k.salt_len + k.iv_len != sizeof iv_) return false;
    // Allocated with the first keys: a connection that never finishes its handshake
    // costs no cipher context.
    if (!ctx_) ctx_.reset(EVP_CIPHER_CTX_new());
    if (!ctx_) return false;
    // The key once; each record then sets only its nonce.
    if (EVP_EncryptInit_ex(ctx_.get(), k.cipher, nullptr, k.key, nullptr) != 1) {
        keyed_ = false;  // whatever key the context held is gone
        return false;
    }
    std::memcpy(iv_, k.salt, k.salt_len);
    std::memcpy(iv_ + k.salt_len, k.iv, k.iv_len);
    seq_ = be64(k.rec_seq);
    tls13_ = header.version == TLS_1_3_VERSION;
    explicit_nonce_ = !tls13_ && header.cipher_type != TLS_CIPHER_CHACHA20_POLY1305;
    keyed_ = true;
    return true;
}

std::size_t RecordSealer::sealed_size(std::size_t plain_len) const {
    const std::size_t per_record = kHeader + kTag + (tls13_ ? 1 : 0) + (explicit_nonce_ ? kExplicitNonce : 0);
    const std::size_t records = std::max<std::size_t>(1, (plain_len + kMaxRecordPlaintext - 1) / kMaxRecordPlaintext);
    return plain_len + records * per_record;
}

std::size_t RecordSealer::seal(uint8_t content_type, std::span<const char> plain, std::span<char> out) {
    if (!keyed_ || out.size() < sealed_size(plain.size())) return 0;
    std::size_t written = 0;
    do {
        const std::size_t n = std::min(plain.size(), kMaxRecordPlaintext);
        const std::size_t r = seal_record(content_type, plain.first(n), out.data() + written);
        if (r == 0) return 0;  // the cipher failed: nothing the caller may send
        written += r;
        plain = plain.subspan(n);
    } while (!plain.empty());
    return written;
}

// RFC 8446 §5.2 (TLS 1.3: the type rides inside, the header is the AAD) and RFC 5246
// §6.2.3.3 / RFC 7905 (TLS 1.2: seq || type || version || length is the AAD).
std::size_t RecordSealer::seal_record(uint8_t content_type, std::span<const char> plain, char* out) {
    unsigned char nonce[12];
    std::memcpy(nonce, iv_, sizeof nonce);
    unsigned char seq[8];
    put_be64(seq, seq_);
    if (!explicit_nonce_)
        for (int i = 0; i < 8; ++i) nonce[4 + i] ^= seq[i];
    const std::size_t inner = plain.size() + (tls13_ ? 1 : 0);
    const std::size_t explicit_len = explicit_nonce_ ? kExplicitNonce : 0;
    const std::size_t body = explicit_len + inner + kTag;
    auto* header = reinterpret_cast<unsigned char*>(out);
    header[0] = tls13_ ? kApplicationData : content_type;
    header[1] = header[2] = 3;
    header[3] = static_cast<unsigned char>(body >> 8);
    header[4] = static_cast<unsigned char>(body);
    unsigned char aad[13];
    std::size_t aad_len = kHeader;
    if (tls13_) {
        std::memcpy(aad, header, kHeader);
    } else {
        std::memcpy(aad, seq, 8);
        aad[8] = content_type;
        aad[9] = aad[10] = 3;
        aad[11] = static_cast<unsigned char>(plain.size() >> 8);
        aad[12] = static_cast<unsigned char>(plain.size());
        aad_len = sizeof aad;
    }
    if (explicit_nonce_) std::memcpy(header + kHeader, iv_ + 4, kExplicitNonce);
    unsigned char* dst = header + kHeader + explicit_len;
    EVP_CIPHER_CTX* ctx = ctx_.get();
    int n = 0, m = 0;
    bool ok = EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce) == 1 &&
              EVP_EncryptUpdate(ctx, nullptr, &n, aad, static_cast<int>(aad_len)) == 1 &&
              EVP_EncryptUpdate(ctx, dst, &n, reinterpret_cast<const unsigned char*>(plain.data()),
                                static_cast<int>(plain.size())) == 1;
    if (ok && tls13_) {
        ok = EVP_EncryptUpdate(ctx, dst + n, &m, &content_type, 1) == 1;
        n += m;
    }
    ok = ok && EVP_EncryptFinal_ex(ctx, dst + n, &m) == 1 && static_cast<std::size_t>(n + m) == inner &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTag), dst + inner) == 1;
    if (!ok) return 0;
    ++seq_;
    if (explicit_nonce_)  // the next record's explicit nonce: this one's + 1, as net/tls does
        for (std::size_t i = sizeof iv_ - 1; i >= 4 && ++iv_[i] == 0; --i) {}
    return kHeader + body;
}

}  // namespace uringd::tls
