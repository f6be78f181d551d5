#pragma once
// Server TLS contexts: one SSL_CTX per certificate, picked by SNI, with a default.
// Built once at start-up and then only read (SSL_CTX is safe to share between the
// workers' SSL objects).
#include <uringd/tls/ticket_keys.hpp>

#include <openssl/ssl.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace uringd::tls {

struct CertificateOptions {
    std::string certificate;                // PEM chain, leaf first
    std::string key;                        // PEM private key (ECDSA or RSA)
    std::vector<std::string> server_names;  // exact names or "*.example.com"; empty: default only
    std::string origin;                     // "FILE:LINE" of the conf block, for errors
};

struct ContextOptions {
    std::vector<CertificateOptions> certificates;  // the first is the default
    int min_version = TLS1_2_VERSION;
    bool session_tickets = true;
    std::shared_ptr<const TicketKeys> ticket_keys;  // with session_tickets; null: OpenSSL's own per context
    bool enable_ktls = false;                       // SSL_OP_ENABLE_KTLS: OpenSSL offers keys to our BIO
};

struct SslCtxDeleter {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;

class ContextSet {
public:
    // Loads and checks every certificate/key pair. Throws uringd::Error naming the
    // conf block and OpenSSL's reason.
    explicit ContextSet(const ContextOptions& opts);
    // The SNI callback holds `this`: a ContextSet never moves.
    ContextSet(const ContextSet&) = delete;
    ContextSet& operator=(const ContextSet&) = delete;

    SSL_CTX* default_context() const { return entries_.front().ctx.get(); }
    // The context whose server_names match `name` (case-insensitive; an exact name
    // before any wildcard), or null.
    SSL_CTX* find(std::string_view name) const;
    // "subject CN=…, serial …, not after …" of each certificate, for logs.
    std::string summary() const;

    std::size_t size() const { return entries_.size(); }
    SSL_CTX* context(std::size_t i) const { return entries_[i].ctx.get(); }
    // The OCSP response stapled for clients that ask for one (RFC 6066 §8), null for
    // none. Set from the stapling thread, read by workers during handshakes.
    void set_staple(std::size_t i, std::shared_ptr<const std::string> der) const;

    struct Staple {
        std::atomic<std::shared_ptr<const std::string>> der;
    };

private:
    struct Entry {
        SslCtxPtr ctx;
        std::vector<std::string> names;
        std::unique_ptr<Staple> staple;  // the status callback's argument: its address stays
    };
    std::vector<Entry> entries_;
    std::shared_ptr<const TicketKeys> ticket_keys_;  // the contexts' callback reads them
};

// The cipher configuration: AEAD only, the suites the kernel can take over.
inline constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
inline constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

// OpenSSL's error queue as one line (and cleared).
std::string openssl_errors();

}  // namespace uringd::tls
