#include <uringd/base/error.hpp>
#include <uringd/base/host_name.hpp>
#include <uringd/tls/context.hpp>
#include <uringd/tls/session.hpp>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <cstring>

namespace uringd::tls {

std::string openssl_errors() {
    std::string out;
    while (const unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out.empty() ? "unknown OpenSSL error" : out;
}

namespace {

// RFC 7301, RFC 9113 §3.2: h2 first where the connection may speak it (its
// listener allows HTTP/2: Session::offer_h2), then http/1.1; otherwise continue
// without ALPN.
int select_alpn(SSL* ssl, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned inlen,
                void*) {
    static constexpr unsigned char kBoth[] = "\x02h2\x08http/1.1";
    static constexpr unsigned char kHttp1[] = "\x08http/1.1";
    const bool h2 = Session::offers_h2(ssl);
    const unsigned char* ours = h2 ? kBoth : kHttp1;
    const unsigned ours_len = h2 ? sizeof kBoth - 1 : sizeof kHttp1 - 1;
    unsigned char* selected = nullptr;
    if (SSL_select_next_proto(&selected, outlen, ours, ours_len, in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

int select_certificate(SSL* ssl, int*, void* arg) {
    const auto* set = static_cast<const ContextSet*>(arg);
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (!name) return SSL_TLSEXT_ERR_OK;
    if (SSL_CTX* ctx = set->find(name); ctx && ctx != SSL_get_SSL_CTX(ssl)) SSL_set_SSL_CTX(ssl, ctx);
    return SSL_TLSEXT_ERR_OK;
}

// A client asked for the certificate's status: hand it the staple, if there is one.
int staple_status(SSL* ssl, void* arg) {
    const auto* staple = static_cast<const ContextSet::Staple*>(arg);
    const std::shared_ptr<const std::string> der = staple->der.load(std::memory_order_acquire);
    if (!der) return SSL_TLSEXT_ERR_NOACK;
    auto* copy = static_cast<unsigned char*>(OPENSSL_malloc(der->size()));
    if (!copy) return SSL_TLSEXT_ERR_NOACK;
    std::memcpy(copy, der->data(), der->size());
    SSL_set_tlsext_status_ocsp_resp(ssl, copy, static_cast<long>(der->size()));  // OpenSSL frees it
    return SSL_TLSEXT_ERR_OK;
}

SslCtxPtr make_context(const CertificateOptions& c, const ContextOptions& o) {
    SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
    if (!ctx) fail("{}: SSL_CTX_new: {}", c.origin, openssl_errors());
    SSL_CTX_set_min_proto_version(ctx.get(), o.min_version);
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION |
                                       (o.session_tickets ? 0 : SSL_OP_NO_TICKET) |
                                       (o.enable_ktls ? SSL_OP_ENABLE_KTLS : 0));
    // Idle connections keep no record buffers; tickets carry resumption state, so the
    // shared (locked) server-side session cache stays off.
    SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
    if (!SSL_CTX_set_cipher_list(ctx.get(), kTls12Ciphers) || !SSL_CTX_set_ciphersuites(ctx.get(), kTls13Suites))
        fail("{}: cipher configuration: {}", c.origin, openssl_errors());
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), c.certificate.c_str()) != 1)
        fail("{}: certificate \"{}\": {}", c.origin, c.certificate, openssl_errors());
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), c.key.c_str(), SSL_FILETYPE_PEM) != 1)
        fail("{}: key \"{}\": {}", c.origin, c.key, openssl_errors());
    if (SSL_CTX_check_private_key(ctx.get()) != 1)
        fail("{}: key \"{}\" does not match certificate \"{}\"", c.origin, c.key, c.certificate);
    SSL_CTX_set_alpn_select_cb(ctx.get(), select_alpn, nullptr);
    if (o.session_tickets && o.ticket_keys) o.ticket_keys->install(ctx.get());
    return ctx;
}

}  // namespace

std::string ContextSet::summary() const {
    std::string out;
    for (const auto& e : entries_) {
        X509* cert = SSL_CTX_get0_certificate(e.ctx.get());
        if (!cert) continue;
        char subject[256] = {};
        X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject);
        std::string serial = "?";
        if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)) {
            if (char* hex = BN_bn2hex(bn)) {
                serial = hex;
                OPENSSL_free(hex);
            }
            BN_free(bn);
        }
        std::string not_after = "?";
        if (BIO* bio = BIO_new(BIO_s_mem())) {
            if (ASN1_TIME_print(bio, X509_get0_notAfter(cert)) == 1) {
                char* data = nullptr;
                const long len = BIO_get_mem_data(bio, &data);
                not_after.assign(data, static_cast<std::size_t>(len));
            }
            BIO_free(bio);
        }
        out += fmt::format("{}{} serial {} not after {}", out.empty() ? "" : "; ", subject, serial, not_after);
    }
    return out;
}

ContextSet::ContextSet(const ContextOptions& opts) : ticket_keys_(opts.ticket_keys) {
    if (opts.certificates.empty()) fail("TLS needs at least one certificate");
    for (const auto& c : opts.certificates)
        entries_.push_back({make_context(c, opts), c.server_names, std::make_unique<Staple>()});
    // Every context carries the SNI callback: a handshake starts on the default one.
    for (auto& e : entries_) {
        // The macro form casts through void(*)(void); do the same explicitly.
        SSL_CTX_callback_ctrl(e.ctx.get(), SSL_CTRL_SET_TLSEXT_SERVERNAME_CB,
                              reinterpret_cast<void (*)()>(&select_certificate));
        SSL_CTX_set_tlsext_servername_arg(e.ctx.get(), this);
        SSL_CTX_callback_ctrl(e.ctx.get(), SSL_CTRL_SET_TLSEXT_STATUS_REQ_CB,
                              reinterpret_cast<void (*)()>(&staple_status));
        SSL_CTX_set_tlsext_status_arg(e.ctx.get(), e.staple.get());
    }
}

void ContextSet::set_staple(std::size_t i, std::shared_ptr<const std::string> der) const {
    entries_[i].staple->der.store(std::move(der), std::memory_order_release);
}

SSL_CTX* ContextSet::find(std::string_view name) const {
    const int i = find_host_match(
        entries_, name, [](const Entry& e) -> const auto& { return e.names; });
    return i < 0 ? nullptr : entries_[static_cast<std::size_t>(i)].ctx.get();
}

}  // namespace uringd::tls
