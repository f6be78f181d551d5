// The sans-I/O TLS session against a real OpenSSL client over in-memory pipes:
// every version/cipher we offer, ALPN, SNI certificate choice, data and close_notify.
#include <uringd/base/error.hpp>
#include <uringd/tls/context.hpp>
#include <uringd/tls/session.hpp>

#include "../support/temp_dir.hpp"
#include "../support/test_certs.hpp"
#include "tls_pair.hpp"

#include <gtest/gtest.h>

#include <openssl/x509.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using namespace uringd::tls;

namespace {

std::string g_dir;

void make_cert(const std::string& name, const char* alg) {
    ASSERT_TRUE(uringd::testing::write_self_signed(g_dir, name, alg)) << name;
}

class TlsEnv : public ::testing::Environment {
public:
    void SetUp() override {
        dir_ = std::make_unique<uringd::testing::TempDir>("uringd-tls");
        g_dir = dir_->path();
        make_cert("default.test", "ecdsa");
        make_cert("other.test", "rsa");
    }
    void TearDown() override { dir_.reset(); }

private:
    std::unique_ptr<uringd::testing::TempDir> dir_;
};
const auto* const g_env = ::testing::AddGlobalTestEnvironment(new TlsEnv);  // gtest owns it

CertificateOptions cert(const std::string& name, std::vector<std::string> names = {}) {
    return {g_dir + "/" + name + ".pem", g_dir + "/" + name + ".key", std::move(names), "test.conf:1"};
}

using Pair = uringd::test::TlsPair;

}  // namespace

class TlsCiphers : public ::testing::TestWithParam<std::pair<int, const char*>> {};

// Both record layers: uringd's RecordSealer (the default) and OpenSSL's own.
void handshake_and_data_both_ways(int version, const char* cipher, bool seal) {
    ContextSet set({{cert("default.test")}});
    Pair p(set.default_context(), version, cipher);
    p.server.seal_in_user_space(seal);
    ASSERT_TRUE(p.handshake()) << cipher;
    EXPECT_EQ(p.server.sealing(), seal) << cipher;
    EXPECT_EQ(p.server.alpn(), "http/1.1");
    EXPECT_EQ(std::string(SSL_get_cipher_name(p.client)), std::string(p.server.cipher()));

    const std::string request = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
    ASSERT_EQ(SSL_write(p.client, request.data(), static_cast<int>(request.size())), static_cast<int>(request.size()));
    std::array<char, 1024> plain{};
    std::size_t n = 0;
    p.serve([&] { return p.server.read(plain, n); });
    EXPECT_EQ(std::string(plain.data(), n), request);

    std::string body(100000, 'x');
    for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
    ASSERT_LE(body.size(), Session::max_plaintext_for(p.out.size()) * 2);
    std::string received;
    for (std::size_t off = 0; off < body.size();) {
        const std::size_t chunk = std::min(body.size() - off, Session::max_plaintext_for(p.out.size()));
        ASSERT_EQ(p.serve([&] { return p.server.write({body.data() + off, chunk}); }), Session::Status::Ok);
        off += chunk;
        received += p.client_read_all();
    }
    EXPECT_EQ(received, body);

    p.serve([&] {
        p.server.close_notify();
        return Session::Status::Ok;
    });
    std::array<char, 16> tmp{};
    EXPECT_EQ(SSL_read(p.client, tmp.data(), 16), 0);
    EXPECT_EQ(SSL_get_error(p.client, 0), SSL_ERROR_ZERO_RETURN);
}

TEST_P(TlsCiphers, HandshakeAndDataBothWays) {
    const auto [version, cipher] = GetParam();
    handshake_and_data_both_ways(version, cipher, true);
}

TEST_P(TlsCiphers, HandshakeAndDataBothWaysWithOpenSslRecords) {
    const auto [version, cipher] = GetParam();
    handshake_and_data_both_ways(version, cipher, false);
}

// TLS 1.3 KeyUpdate (RFC 8446 §4.6.3): the client re-keys and asks the server to do
// the same. OpenSSL answers (sealed under the old keys) and switches to new keys it
// does not hand over, so its own record layer encrypts from then on; every reply
// must open at the client, round after round.
TEST(Tls, KeyUpdateHandsRecordsBackToOpenSsl) {
    ContextSet set({{cert("default.test")}});
    Pair p(set.default_context(), TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256");
    ASSERT_TRUE(p.handshake());
    ASSERT_TRUE(p.server.sealing());
    EXPECT_EQ(p.client_read_all(), "");  // the tickets
    for (int round = 0; round < 3; ++round) {
        std::string got;
        const std::string request = p.key_update_then_request(round, got);
        ASSERT_NE(request, "<client failed>");
        EXPECT_EQ(got, request);
        const std::string reply = "reply " + std::to_string(round) + " under the new keys";
        ASSERT_EQ(p.serve([&] { return p.server.write(reply); }), Session::Status::Ok);
        EXPECT_FALSE(p.server.sealing());  // the answer went out before this reply
        EXPECT_EQ(p.client_read_all(), reply);
    }
}

INSTANTIATE_TEST_SUITE_P(AllOffered, TlsCiphers,
                         ::testing::Values(std::pair{TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256"},
                                           std::pair{TLS1_3_VERSION, "TLS_AES_256_GCM_SHA384"},
                                           std::pair{TLS1_3_VERSION, "TLS_CHACHA20_POLY1305_SHA256"},
                                           std::pair{TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256"},
                                           std::pair{TLS1_2_VERSION, "ECDHE-ECDSA-AES256-GCM-SHA384"},
                                           std::pair{TLS1_2_VERSION, "ECDHE-ECDSA-CHACHA20-POLY1305"}));

TEST(Tls, NonAeadCipherIsRefused) {
    ContextSet set({{cert("default.test")}});
    Pair p(set.default_context(), TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA256");
    EXPECT_FALSE(p.handshake());
}

TEST(Tls, Tls11IsRefused) {
    ContextSet set({{cert("default.test")}});
    Pair p(set.default_context(), TLS1_1_VERSION, "ECDHE-ECDSA-AES128-SHA");
    EXPECT_FALSE(p.handshake());
}

TEST(Tls, SniSelectsCertificate) {
    ContextSet set({{cert("default.test"), cert("other.test", {"*.other.test", "other.test"})}});
    auto subject = [](SSL* ssl) {
        X509* c = SSL_get1_peer_certificate(ssl);
        char buf[256];
        X509_NAME_oneline(X509_get_subject_name(c), buf, sizeof buf);
        X509_free(c);
        return std::string(buf);
    };
    for (auto [sni, expected] :
         {std::pair{"www.other.test", "/CN=other.test"}, std::pair{"OTHER.test", "/CN=other.test"},
          std::pair{"unknown.test", "/CN=default.test"}}) {
        Pair p(set.default_context(), TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256", sni);
        ASSERT_TRUE(p.handshake()) << sni;
        EXPECT_EQ(subject(p.client), expected) << sni;
    }
}

TEST(Tls, SniPrefersAnExactNameToAnEarlierWildcard) {
    // other.test's certificate covers *.other.test and comes first; a later one names
    // www.other.test exactly and wins it (as nginx chooses server blocks).
    ContextSet set(
        {{cert("default.test"), cert("other.test", {"*.other.test"}), cert("default.test", {"www.other.test"})}});
    for (auto [sni, expected] :
         {std::pair{"www.other.test", "/CN=default.test"}, std::pair{"api.other.test", "/CN=other.test"}}) {
        Pair p(set.default_context(), TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256", sni);
        ASSERT_TRUE(p.handshake()) << sni;
        X509* c = SSL_get1_peer_certificate(p.client);
        char buf[256];
        X509_NAME_oneline(X509_get_subject_name(c), buf, sizeof buf);
        X509_free(c);
        EXPECT_STREQ(buf, expected) << sni;
    }
}

TEST(Tls, BadKeyNamesOrigin) {
    try {
        ContextSet set({{CertificateOptions{g_dir + "/default.test.pem", g_dir + "/other.test.key", {}, "x.conf:7"}}});
        FAIL();
    } catch (const uringd::Error& e) {
        EXPECT_TRUE(std::string(e.what()).starts_with("x.conf:7: key")) << e.what();
    }
    try {
        ContextSet set({{CertificateOptions{g_dir + "/missing.pem", g_dir + "/other.test.key", {}, "x.conf:9"}}});
        FAIL();
    } catch (const uringd::Error& e) {
        EXPECT_TRUE(std::string(e.what()).starts_with("x.conf:9: certificate")) << e.what();
    }
}

namespace {

// A session from a full handshake with `ctx`; the TLS 1.3 ticket arrives after it.
SSL_SESSION* first_session(SSL_CTX* ctx, int version, const char* cipher, const char* sni = nullptr) {
    Pair p(ctx, version, cipher, sni);
    if (!p.handshake()) return nullptr;
    p.client_read_all();     // takes in the NewSessionTicket
    SSL_shutdown(p.client);  // freed without, OpenSSL marks its session not resumable
    return SSL_get1_session(p.client);
}

// Whether a handshake with `ctx` resumed `session`.
bool resumes(SSL_CTX* ctx, SSL_SESSION* session, int version, const char* cipher, const char* sni = nullptr) {
    Pair p(ctx, version, cipher, sni);
    SSL_set_session(p.client, session);
    const bool reused = p.handshake() && SSL_session_reused(p.client) == 1;
    SSL_shutdown(p.client);  // or the session could not be offered again
    return reused;
}

const std::pair<int, const char*> kVersions[] = {
    {TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256"},
    {TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"}};

}  // namespace

// Tickets sealed by one set of contexts open in another that shares the keys (a
// reload, a renewed certificate, another node of a fleet), on every certificate, and
// not in one with other keys.
TEST(Tls, TicketsOpenWhereverTheKeysAreShared) {
    const auto keys = TicketKeys::generated();
    ContextOptions with_keys{{cert("default.test"), cert("other.test", {"other.test"})}};
    with_keys.ticket_keys = keys;
    ContextSet before(with_keys), after(with_keys);
    ContextOptions other_keys = with_keys;
    other_keys.ticket_keys = TicketKeys::generated();
    ContextSet elsewhere(other_keys);
    for (const auto& [version, cipher] : kVersions) {
        for (const char* sni : {static_cast<const char*>(nullptr), "other.test"}) {
            SSL_SESSION* s = first_session(before.default_context(), version, cipher, sni);
            ASSERT_NE(s, nullptr) << cipher;
            EXPECT_TRUE(resumes(before.default_context(), s, version, cipher, sni)) << cipher;
            EXPECT_TRUE(resumes(after.default_context(), s, version, cipher, sni)) << cipher;
            EXPECT_FALSE(resumes(elsewhere.default_context(), s, version, cipher, sni)) << cipher;
            SSL_SESSION_free(s);
        }
    }
}

// A client that resumed holds a fresh ticket for its next connection (TLS 1.3
// tickets are for one use; wrk, reusing its SSL object, offers only the newest),
// so a chain of connections resumes every time.
TEST(Tls, ResumingHandsOutAFreshTicket) {
    ContextOptions o{{cert("default.test")}};
    o.ticket_keys = TicketKeys::generated();
    ContextSet set(o);
    SSL_SESSION* s = first_session(set.default_context(), TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256");
    ASSERT_NE(s, nullptr);
    for (int i = 0; i < 3; ++i) {
        Pair p(set.default_context(), TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256");
        SSL_set_session(p.client, s);
        ASSERT_TRUE(p.handshake());
        EXPECT_EQ(SSL_session_reused(p.client), 1) << i;
        p.client_read_all();
        SSL_shutdown(p.client);
        SSL_SESSION* next = SSL_get1_session(p.client);
        const unsigned char *old_ticket = nullptr, *new_ticket = nullptr;
        std::size_t old_len = 0, new_len = 0;
        SSL_SESSION_get0_ticket(s, &old_ticket, &old_len);
        SSL_SESSION_get0_ticket(next, &new_ticket, &new_len);
        EXPECT_TRUE(new_len > 0 && (new_len != old_len || std::memcmp(old_ticket, new_ticket, new_len) != 0)) << i;
        SSL_SESSION_free(s);
        s = next;
    }
    SSL_SESSION_free(s);
}

// session_tickets = false: no ticket is issued, so nothing resumes.
TEST(Tls, NoTicketsNoResumption) {
    ContextOptions o{{cert("default.test")}};
    o.session_tickets = false;
    o.ticket_keys = TicketKeys::generated();
    ContextSet set(o);
    for (const auto& [version, cipher] : kVersions) {
        SSL_SESSION* s = first_session(set.default_context(), version, cipher);
        ASSERT_NE(s, nullptr);
        EXPECT_FALSE(resumes(set.default_context(), s, version, cipher)) << cipher;
        SSL_SESSION_free(s);
    }
}

// An http:// URL aimed at an HTTPS port is told from TLS by its first byte, and only
// before the session has read anything (a later record may start with any byte).
TEST(Tls, PlainHttpIsToldFromTlsByTheFirstByte) {
    for (const std::string_view request :
         {"GET / HTTP/1.1\r\n", "HEAD /", "OPTIONS * HTTP/1.1", "PRI * HTTP/2.0", "DELETE /x", "P"})
        EXPECT_TRUE(looks_like_plain_http(request)) << request;
    for (const std::string_view other : {std::string_view("\x16\x03\x01\x02\x00", 5), std::string_view("\x80\x2e\x01"),
                                         std::string_view("get / HTTP/1.1"), std::string_view()})
        EXPECT_FALSE(looks_like_plain_http(other));

    ContextSet set({{cert("default.test")}});
    Pair p(set.default_context(), TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256");
    EXPECT_TRUE(p.server.untouched());
    SSL_do_handshake(p.client);
    std::vector<char> hello(BIO_ctrl_pending(p.to_server));
    ASSERT_FALSE(hello.empty());
    BIO_read(p.to_server, hello.data(), static_cast<int>(hello.size()));
    EXPECT_FALSE(looks_like_plain_http(hello));  // a real ClientHello
    BIO_write(p.to_server, hello.data(), static_cast<int>(hello.size()));
    ASSERT_TRUE(p.handshake());
    EXPECT_FALSE(p.server.untouched());
}
