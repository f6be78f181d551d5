#pragma once
// One TLS connection, sans I/O: ciphertext comes in from a span the caller lends
// (set_input) and goes out into a span the caller lends (set_output) — the ring's
// provided and registered buffers — through a custom BIO, so no memory BIO copies.
#include <uringd/tls/record_sealer.hpp>

#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>

namespace uringd::tls {

// How a session reaches the kernel once OpenSSL offers it the write keys. The real
// hooks (ktls::socket_hooks) use send/sendmsg and setsockopt; tests substitute an
// emulated kernel to check exactly what OpenSSL hands over.
struct KtlsHooks {
    // Sends bytes on `fd` (record_type >= 0: one record of that type, through the
    // kernel's TLS_SET_RECORD_TYPE). Returns bytes sent or -errno; never blocks.
    long (*send)(int fd, const char* data, std::size_t len, int record_type, void* user);
    // Installs TLS_TX from a struct tls12_crypto_info_* of `len` bytes. 0 or -errno.
    int (*install_tx)(int fd, const void* info, std::size_t len, void* user);
    void* user;
};

namespace detail {
// What the custom BIO reads from and writes to (owned by the Session).
struct SpanIo {
    std::span<const char> in;
    std::span<char> out;
    std::size_t out_used = 0;
    // Kernel TLS (see Session::enable_ktls).
    int fd = -1;
    const KtlsHooks* hooks = nullptr;
    bool ktls_tx = false;
    bool failed = false;   // a write the kernel path could not take: close
    int record_type = -1;  // set by OpenSSL before a non-application record
    // Otherwise the same keys seal records here, in user space (seal_in_user_space).
    bool seal = true;
    RecordSealer sealer;
    bool received = false;  // OpenSSL has read ciphertext (any at all)
};
}  // namespace detail

class Session {
public:
    enum class Status : uint8_t {
        Ok,          // the call finished (handshake complete, bytes moved)
        WantInput,   // needs more ciphertext: recv, then call again
        OutputFull,  // the output span is full: send it, then call again
        Closed,      // the peer sent close_notify
        Error,       // fatal: close the connection (reason())
    };

    explicit Session(SSL_CTX* ctx);
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    ~Session();

    // Ciphertext to read from; what is left after a call is input_left() bytes at the
    // end of the span (the caller keeps them for the next call).
    void set_input(std::span<const char> in) { io_.in = in; }
    std::size_t input_left() const { return io_.in.size(); }
    // Where records go; output_size() bytes of it are used.
    void set_output(std::span<char> out) {
        io_.out = out;
        io_.out_used = 0;
    }
    std::size_t output_size() const { return io_.out_used; }

    Status handshake();
    // OpenSSL has read no byte yet: the next input is the client's very first.
    bool untouched() const { return !io_.received; }
    bool handshake_done() const { return SSL_is_init_finished(ssl_) == 1; }
    // Decrypts into `out`; `n` is set to the plaintext bytes produced (may be > 0 with
    // WantInput when the input ran out after some records).
    Status read(std::span<char> out, std::size_t& n);
    // Encrypts all of `in` into the output span (which must have room for it plus
    // record overhead: see max_plaintext_for()).
    Status write(std::span<const char> in);
    // Queues close_notify into the output span.
    void close_notify();

    // Offers the kernel the write side once the handshake switches keys: OpenSSL asks
    // our BIO to take the keys (SSL_OP_ENABLE_KTLS); the BIO sends what is pending
    // with one send(2), installs TLS_TX, and from then on OpenSSL hands it plaintext
    // (post-handshake records go out with TLS_SET_RECORD_TYPE). RX stays in OpenSSL.
    // Call before the first handshake step.
    void enable_ktls(int fd, const KtlsHooks& hooks);
    // True once the kernel encrypts this connection's output: send plaintext.
    bool ktls_tx() const { return io_.ktls_tx; }
    // The handshake resumed a session (a ticket opened) rather than a full one.
    bool resumed() const { return SSL_session_reused(ssl_) == 1; }
    // Where the kernel does not take the write keys, uringd's RecordSealer does (on by
    // default): records are sealed from the caller's plaintext straight into the
    // output span, with the parameters kernel TLS would have used. Off, OpenSSL's own
    // record layer encrypts (tests compare the two). Call before the handshake.
    void seal_in_user_space(bool on);
    // True once the RecordSealer encrypts this connection's output.
    bool sealing() const { return io_.sealer.keyed(); }
    // A post-handshake write failed on the kernel path (or a re-key was asked).
    bool ktls_failed() const { return io_.failed; }

    std::string_view reason() const { return reason_; }
    std::string_view version() const { return SSL_get_version(ssl_); }
    std::string_view cipher() const { return SSL_get_cipher_name(ssl_); }
    std::string_view alpn() const;
    // ALPN may choose h2 on this connection (its listener allows HTTP/2).
    void offer_h2();
    static bool offers_h2(const SSL* ssl);
    std::string_view server_name() const;
    SSL* native() const { return ssl_; }

    // Largest plaintext whose records fit in `out_bytes` of output.
    static std::size_t max_plaintext_for(std::size_t out_bytes);

private:
    Status status_of(int ret);

    SSL* ssl_;
    detail::SpanIo io_;  // the BIO points here: a Session never moves
    std::string_view reason_;
};

// A connection's first bytes are a plain-text HTTP request, not TLS (an http://
// URL aimed at an HTTPS port): a TLS record starts with its content type (20–24)
// and an SSLv2-style hello with the high bit set; a request starts with a method's
// first letter.
inline bool looks_like_plain_http(std::span<const char> first) {
    return !first.empty() && first[0] >= 'A' && first[0] <= 'Z';
}

}  // namespace uringd::tls
