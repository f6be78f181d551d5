// The kernel TLS hand-off without a kernel: OpenSSL gives our BIO the write keys, an
// emulated net/tls seals later records with them, and a real OpenSSL client must
// accept those records (session tickets, TLS 1.2 Finished, data, close_notify) —
// proving key, salt/IV and sequence numbers. TLS 1.3 keys are also checked against
// an independent HKDF-Expand-Label, itself checked on the RFC 8448 trace.
#include "../support/temp_dir.hpp"
#include "../support/test_certs.hpp"
#include "ktls_emulator.hpp"
#include "tls_pair.hpp"

#include <uringd/tls/context.hpp>
#include <uringd/tls/ktls.hpp>
#include <uringd/tls/session.hpp>

#include <gtest/gtest.h>

#include <openssl/kdf.h>

#include <cstring>

#include <array>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

using namespace uringd;
using Status = tls::Session::Status;

namespace {

std::vector<unsigned char> unhex(std::string_view h) {
    std::vector<unsigned char> out;
    for (std::size_t i = 0; i + 1 < h.size();) {
        if (h[i] == ' ') {
            ++i;
            continue;
        }
        out.push_back(static_cast<unsigned char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
        i += 2;
    }
    return out;
}

// RFC 8446 §7.1 HKDF-Expand-Label, written independently of OpenSSL's TLS code.
std::vector<unsigned char> expand_label(const EVP_MD* md, const std::vector<unsigned char>& secret,
                                        std::string_view label, std::size_t len) {
    std::vector<unsigned char> info{static_cast<unsigned char>(len >> 8), static_cast<unsigned char>(len)};
    const std::string full = "tls13 " + std::string(label);
    info.push_back(static_cast<unsigned char>(full.size()));
    info.insert(info.end(), full.begin(), full.end());
    info.push_back(0);  // empty context
    std::vector<unsigned char> out(len);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr);
    EVP_PKEY_derive_init(ctx);
    EVP_PKEY_CTX_set_hkdf_mode(ctx, EVP_PKEY_HKDEF_MODE_EXPAND_ONLY);
    EVP_PKEY_CTX_set_hkdf_md(ctx, md);
    EVP_PKEY_CTX_set1_hkdf_key(ctx, secret.data(), static_cast<int>(secret.size()));
    EVP_PKEY_CTX_add1_hkdf_info(ctx, info.data(), static_cast<int>(info.size()));
    EVP_PKEY_derive(ctx, out.data(), &len);
    EVP_PKEY_CTX_free(ctx);
    return out;
}

std::string g_dir;
std::string g_secret;  // SERVER_TRAFFIC_SECRET_0 from the key log

class Env : public ::testing::Environment {
public:
    void SetUp() override {
        dir_ = std::make_unique<uringd::testing::TempDir>("uringd-ktls");
        g_dir = dir_->path();
        ASSERT_TRUE(uringd::testing::write_self_signed(g_dir, "k"));
    }
    void TearDown() override { dir_.reset(); }

private:
    std::unique_ptr<uringd::testing::TempDir> dir_;
};
const auto* const g_env = ::testing::AddGlobalTestEnvironment(new Env);  // gtest owns it

// The server's contexts, built before the pair that uses them; the key log gives the
// TLS 1.3 traffic secret to compare the handed-over keys with.
struct ServerContexts {
    ServerContexts() : set({{tls::CertificateOptions{g_dir + "/k.pem", g_dir + "/k.key", {}, "t:1"}}}) {
        SSL_CTX_set_keylog_callback(set.default_context(), [](const SSL*, const char* line) {
            const std::string_view l(line);
            if (l.starts_with("SERVER_TRAFFIC_SECRET_0 ")) g_secret = std::string(l.substr(l.rfind(' ') + 1));
        });
    }
    tls::ContextSet set;
};

// A client/server pair whose server offers its write keys to an emulated kernel.
struct KtlsPair : ServerContexts, test::TlsPair {
    KtlsPair(int version, const char* cipher)
        : test::TlsPair(set.default_context(), version, cipher),
          kernel(to_client),
          hooks(kernel.hooks()) {
        server.enable_ktls(3, hooks);
    }

    test::EmulatedKernelTls kernel;
    tls::KtlsHooks hooks;
};

}  // namespace

TEST(Rfc8448, HkdfExpandLabelMatchesTheTrace) {
    const auto shs =
        unhex("b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38");
    EXPECT_EQ(expand_label(EVP_sha256(), shs, "key", 16), unhex("3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc"));
    EXPECT_EQ(expand_label(EVP_sha256(), shs, "iv", 12), unhex("5d 31 3e b2 67 12 76 ee 13 00 0b 30"));
    const auto sap =
        unhex("a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43");
    EXPECT_EQ(expand_label(EVP_sha256(), sap, "key", 16), unhex("9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56"));
    EXPECT_EQ(expand_label(EVP_sha256(), sap, "iv", 12), unhex("cf 78 2b 88 dd 83 54 9a ad f1 e9 84"));
    const auto chs =
        unhex("b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21");
    EXPECT_EQ(expand_label(EVP_sha256(), chs, "key", 16), unhex("db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01"));
    EXPECT_EQ(expand_label(EVP_sha256(), chs, "iv", 12), unhex("5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f"));
}

class KtlsHandOff : public ::testing::TestWithParam<std::tuple<int, const char*, uint16_t>> {};

TEST_P(KtlsHandOff, KernelSealedRecordsAreAcceptedByTheClient) {
    const auto [version, cipher, kernel_cipher] = GetParam();
    KtlsPair p(version, cipher);
    ASSERT_TRUE(p.handshake());
    ASSERT_TRUE(p.server.ktls_tx()) << "OpenSSL did not hand over the write keys";
    ASSERT_TRUE(p.kernel.installed());
    EXPECT_EQ(p.kernel.cipher(), kernel_cipher);
    EXPECT_EQ(p.kernel.initial_seq(), 0u);

    if (version == TLS1_3_VERSION) {
        // The installed key/IV are the ones RFC 8446 derives from the traffic secret.
        const EVP_MD* md = kernel_cipher == TLS_CIPHER_AES_GCM_256 ? EVP_sha384() : EVP_sha256();
        const auto secret = unhex(g_secret);
        EXPECT_EQ(p.kernel.key(), expand_label(md, secret, "key", p.kernel.key().size()));
        EXPECT_EQ(p.kernel.full_iv(), expand_label(md, secret, "iv", 12));
    }

    // Application data as the ring would send it: plaintext through the "kernel".
    std::string body;
    for (int i = 0; i < 5000; ++i) body += "uringd-" + std::to_string(i) + "\n";
    for (std::size_t off = 0; off < body.size(); off += 16384)
        p.hooks.send(3, body.data() + off, std::min<std::size_t>(16384, body.size() - off), -1, p.hooks.user);
    EXPECT_EQ(p.client_read_all(), body);  // tickets (1.3) arrive first and must decrypt too
    EXPECT_GE(p.kernel.records_sealed(), 3);

    // Requests still come in through OpenSSL (RX stays in user space).
    const std::string req = "GET / HTTP/1.1\r\nHost: k\r\n\r\n";
    SSL_write(p.client, req.data(), static_cast<int>(req.size()));
    std::array<char, 256> plain{};
    std::size_t n = 0;
    p.serve([&] { return p.server.read(plain, n); });
    EXPECT_EQ(std::string(plain.data(), n), req);

    // close_notify goes out as an alert record through the kernel path.
    p.serve([&] {
        p.server.close_notify();
        return Status::Ok;
    });
    EXPECT_EQ(p.server.output_size(), 0u);
    std::array<char, 8> tmp{};
    EXPECT_EQ(SSL_read(p.client, tmp.data(), 8), 0);
    EXPECT_EQ(SSL_get_error(p.client, 0), SSL_ERROR_ZERO_RETURN);
}

INSTANTIATE_TEST_SUITE_P(
    AllCiphers, KtlsHandOff,
    ::testing::Values(
        std::tuple{TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256", uint16_t{TLS_CIPHER_AES_GCM_128}},
        std::tuple{TLS1_3_VERSION, "TLS_AES_256_GCM_SHA384", uint16_t{TLS_CIPHER_AES_GCM_256}},
        std::tuple{TLS1_3_VERSION, "TLS_CHACHA20_POLY1305_SHA256", uint16_t{TLS_CIPHER_CHACHA20_POLY1305}},
        std::tuple{TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256", uint16_t{TLS_CIPHER_AES_GCM_128}},
        std::tuple{TLS1_2_VERSION, "ECDHE-ECDSA-AES256-GCM-SHA384", uint16_t{TLS_CIPHER_AES_GCM_256}},
        std::tuple{TLS1_2_VERSION, "ECDHE-ECDSA-CHACHA20-POLY1305", uint16_t{TLS_CIPHER_CHACHA20_POLY1305}}));

// A KeyUpdate the client asks to be answered: OpenSSL would re-key without offering
// the kernel the new keys (and kernel 6.1 could not take them), so the answer is
// refused and the session reports that it cannot go on — no record under stale keys.
TEST(Ktls, KeyUpdateEndsTheKernelPath) {
    KtlsPair p(TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256");
    ASSERT_TRUE(p.handshake());
    ASSERT_TRUE(p.server.ktls_tx());
    EXPECT_EQ(p.client_read_all(), "");  // the tickets
    for (int i = 0; i < 3 && !p.server.ktls_failed(); ++i) {
        std::string got;
        ASSERT_NE(p.key_update_then_request(i, got), "<client failed>");
    }
    EXPECT_TRUE(p.server.ktls_failed());
    const int sealed = p.kernel.records_sealed();
    EXPECT_EQ(p.client_read_all(), "");  // nothing under stale keys reached the client
    EXPECT_EQ(SSL_get_error(p.client, 0), SSL_ERROR_WANT_READ);
    EXPECT_EQ(p.kernel.records_sealed(), sealed);
}

TEST(Ktls, RefusedInstallKeepsUserSpaceRecords) {
    KtlsPair p(TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256");
    static const tls::KtlsHooks refusing{[](int, const char* d, std::size_t n, int, void* u) -> long {
                                             BIO_write(static_cast<BIO*>(u), d, static_cast<int>(n));
                                             return static_cast<long>(n);
                                         },
                                         [](int, const void*, std::size_t, void*) { return -ENOENT; }, nullptr};
    tls::KtlsHooks hooks = refusing;
    hooks.user = p.to_client;
    p.server.enable_ktls(3, hooks);
    ASSERT_TRUE(p.handshake());
    EXPECT_FALSE(p.server.ktls_tx());
    EXPECT_TRUE(p.server.sealing());  // the keys the kernel refused seal records in user space
    std::string data = "still encrypted, in user space";
    p.serve([&] { return p.server.write(data); });
    EXPECT_EQ(p.client_read_all(), data);
}

namespace {

// Opens one TLS record with the parameters of a struct tls12_crypto_info_* as the
// kernel's receive side would (RFC 5246 §6.2.3.3 / RFC 8446 §5.2): the reverse check
// of the emulated kernel — parameters against records OpenSSL itself sealed.
struct Captured {
    BIO* wire;  // bytes sent before the (refused) install still reach the client
    std::vector<unsigned char> info;
    static int install(int, const void* i, std::size_t len, void* user) {
        auto* self = static_cast<Captured*>(user);
        self->info.assign(static_cast<const unsigned char*>(i), static_cast<const unsigned char*>(i) + len);
        return -EOPNOTSUPP;  // refuse: OpenSSL keeps sealing in user space, under these keys
    }
    static long send(int, const char* data, std::size_t len, int, void* user) {
        BIO_write(static_cast<Captured*>(user)->wire, data, static_cast<int>(len));
        return static_cast<long>(len);
    }
};

std::string open_record(const std::vector<unsigned char>& info, const unsigned char* rec, std::size_t len,
                        uint64_t seq) {
    tls_crypto_info h;
    std::memcpy(&h, info.data(), sizeof h);
    const unsigned char *key, *iv, *salt, *rec_seq;
    std::size_t key_len, iv_len, salt_len;
    const EVP_CIPHER* cipher;
    auto fields = [&](const auto* s) {
        key = s->key, key_len = sizeof s->key, iv = s->iv, iv_len = sizeof s->iv;
        salt = s->salt, salt_len = sizeof s->salt, rec_seq = s->rec_seq;
    };
    if (h.cipher_type == TLS_CIPHER_AES_GCM_128)
        fields(reinterpret_cast<const tls12_crypto_info_aes_gcm_128*>(info.data())), cipher = EVP_aes_128_gcm();
    else if (h.cipher_type == TLS_CIPHER_AES_GCM_256)
        fields(reinterpret_cast<const tls12_crypto_info_aes_gcm_256*>(info.data())), cipher = EVP_aes_256_gcm();
    else
        fields(reinterpret_cast<const tls12_crypto_info_chacha20_poly1305*>(info.data())),
            cipher = EVP_chacha20_poly1305();
    uint64_t seq0 = 0;
    for (int i = 0; i < 8; ++i) seq0 = seq0 << 8 | rec_seq[i];
    seq += seq0;
    unsigned char s8[8];
    for (int i = 7; i >= 0; --i) s8[i] = static_cast<unsigned char>(seq >> (8 * (7 - i)));
    const bool tls13 = h.version == TLS_1_3_VERSION;
    const bool gcm12 = !tls13 && salt_len == 4;
    unsigned char nonce[12];
    std::size_t body = 5;
    if (gcm12) {  // salt || explicit nonce carried in the record
        std::memcpy(nonce, salt, 4);
        std::memcpy(nonce + 4, rec + 5, 8);
        body += 8;
    } else {
        std::memcpy(nonce, salt, salt_len);
        std::memcpy(nonce + salt_len, iv, iv_len);
        for (int i = 0; i < 8; ++i) nonce[4 + i] ^= s8[i];
    }
    const std::size_t ct_len = len - body - 16;
    std::vector<unsigned char> aad;
    if (tls13) {
        aad.assign(rec, rec + 5);
    } else {
        aad.assign(s8, s8 + 8);
        aad.insert(aad.end(), {rec[0], rec[1], rec[2], static_cast<unsigned char>(ct_len >> 8),
                               static_cast<unsigned char>(ct_len)});
    }
    std::vector<unsigned char> out(ct_len);
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    EVP_DecryptInit_ex(ctx, cipher, nullptr, nullptr, nullptr);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, nullptr);
    EVP_DecryptInit_ex(ctx, nullptr, nullptr, key, nonce);
    EVP_DecryptUpdate(ctx, nullptr, &n, aad.data(), static_cast<int>(aad.size()));
    EVP_DecryptUpdate(ctx, out.data(), &n, rec + body, static_cast<int>(ct_len));
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, const_cast<unsigned char*>(rec + body + ct_len));
    const bool ok = EVP_DecryptFinal_ex(ctx, out.data() + n, &n) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) return "<authentication failed>";
    if (tls13) {  // strip padding and the inner content type
        while (!out.empty() && out.back() == 0) out.pop_back();
        out.pop_back();
    }
    return std::string(out.begin(), out.end());
}

}  // namespace

// The parameters OpenSSL hands the kernel open the records OpenSSL itself seals
// with the same keys (the kernel's view of the stream, checked from the other side).
// Then the same for uringd's RecordSealer, which takes the keys the kernel refused.
void handed_over_parameters_open_records(int version, const char* cipher, bool seal) {
    KtlsPair p(version, cipher);
    p.server.seal_in_user_space(seal);
    Captured captured{p.to_client, {}};
    static tls::KtlsHooks hooks;
    hooks = {&Captured::send, &Captured::install, &captured};
    p.server.enable_ktls(3, hooks);
    ASSERT_TRUE(p.handshake());
    ASSERT_FALSE(p.server.ktls_tx());
    ASSERT_EQ(p.server.sealing(), seal);
    ASSERT_FALSE(captured.info.empty()) << "OpenSSL offered no write keys";
    EXPECT_EQ(tls::ktls::crypto_info_size(captured.info.data()), captured.info.size());

    // Records already sealed under these keys: two tickets (TLS 1.3), or the server's
    // Finished (TLS 1.2). The handed-over rec_seq is 0; each of those took a number.
    const uint64_t earlier = version == TLS1_3_VERSION ? 2 : 1;
    for (uint64_t i = 0; i < 3; ++i) {
        const std::string msg = "record " + std::to_string(i) + (seal ? " from the sealer" : " from OpenSSL");
        p.server.set_output(p.out);
        ASSERT_EQ(p.server.write(msg), Status::Ok);
        const auto* rec = reinterpret_cast<const unsigned char*>(p.out.data());
        EXPECT_EQ(open_record(captured.info, rec, p.server.output_size(), earlier + i), msg) << cipher;
    }
}

TEST_P(KtlsHandOff, HandedOverParametersOpenOpenSslsOwnRecords) {
    const auto [version, cipher, kernel_cipher] = GetParam();
    handed_over_parameters_open_records(version, cipher, false);
}

TEST_P(KtlsHandOff, HandedOverParametersOpenTheSealersRecords) {
    const auto [version, cipher, kernel_cipher] = GetParam();
    handed_over_parameters_open_records(version, cipher, true);
}
