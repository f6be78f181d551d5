#include <uringd/tls/ktls.hpp>
#include <uringd/tls/session.hpp>

#include <openssl/err.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <type_traits>

namespace uringd::tls {

namespace {

using detail::SpanIo;

// OpenSSL 3.0's internal BIO controls for kernel TLS (include/internal/bio.h): what
// its own socket BIO answers, and so what any BIO must answer to be offered keys.
constexpr int kCtrlSetKtls = 72;           // larg: is_tx, parg: ktls_crypto_info_t*
constexpr int kCtrlSetKtlsTxCtrlMsg = 74;  // larg: record type of the next write
constexpr int kCtrlClearKtlsTxCtrlMsg = 75;

// A record OpenSSL writes once the RecordSealer has the keys (plaintext, as it would
// hand the kernel: a ticket, KeyUpdate or alert after the record-type control).
int seal_record(BIO* b, SpanIo& io, const char* data, int len) {
    const auto type = static_cast<uint8_t>(io.record_type < 0 ? 23 : io.record_type);
    const std::span<char> room = io.out.subspan(io.out_used);
    if (room.size() < io.sealer.sealed_size(static_cast<std::size_t>(len))) {
        BIO_set_retry_write(b);  // OpenSSL writes the same record again, type kept
        return -1;
    }
    const std::size_t n = io.sealer.seal(type, {data, static_cast<std::size_t>(len)}, room);
    if (n == 0) return -1;
    io.out_used += n;
    io.record_type = -1;
    // OpenSSL 3.0 re-keys after its KeyUpdate without offering the new keys to the
    // BIO; its own record layer has them, so from here on it encrypts again.
    if (ktls::is_key_update(type, data, len)) io.sealer.retire();
    return len;
}

// The write keys, when OpenSSL switches to them (SSL_OP_ENABLE_KTLS): to the kernel
// if it takes them, else to the RecordSealer. Receive keys stay with OpenSSL.
bool take_write_keys(SpanIo& io, bool is_tx, const void* crypto_info) {
    if (!is_tx) return false;
    if (ktls::take_keys(io, is_tx, crypto_info)) return true;
    if (io.ktls_tx || io.failed || !io.seal) return false;  // a kernel re-key cannot fall back
    return io.sealer.set_keys(crypto_info);
}

// The BIO reads from and writes into the spans of a Session's SpanIo. It asks OpenSSL
// to retry when the input is empty or the output full; it never blocks or allocates.
int bio_write(BIO* b, const char* data, int len) {
    auto* io = static_cast<SpanIo*>(BIO_get_data(b));
    BIO_clear_retry_flags(b);
    if (io->ktls_tx) return ktls::write_record(*io, data, len);
    if (io->sealer.keyed()) return seal_record(b, *io, data, len);
    const std::size_t room = io->out.size() - io->out_used;
    if (room == 0) {
        BIO_set_retry_write(b);
        return -1;
    }
    const std::size_t n = std::min(room, static_cast<std::size_t>(len));
    std::memcpy(io->out.data() + io->out_used, data, n);
    io->out_used += n;
    return static_cast<int>(n);
}

int bio_read(BIO* b, char* data, int len) {
    auto* io = static_cast<SpanIo*>(BIO_get_data(b));
    BIO_clear_retry_flags(b);
    if (io->in.empty()) {
        BIO_set_retry_read(b);
        return -1;
    }
    const std::size_t n = std::min(io->in.size(), static_cast<std::size_t>(len));
    std::memcpy(data, io->in.data(), n);
    io->in = io->in.subspan(n);
    io->received = true;
    return static_cast<int>(n);
}

long bio_ctrl(BIO* b, int cmd, long larg, void* parg) {
    auto* io = static_cast<SpanIo*>(BIO_get_data(b));
    switch (cmd) {
    case BIO_CTRL_FLUSH: return 1;  // the caller sends the output span
    case kCtrlSetKtls: return take_write_keys(*io, larg != 0, parg) ? 1 : 0;
    case BIO_CTRL_GET_KTLS_SEND: return io->ktls_tx || io->sealer.keyed() ? 1 : 0;
    case BIO_CTRL_GET_KTLS_RECV: return 0;
    case kCtrlSetKtlsTxCtrlMsg: io->record_type = static_cast<int>(larg); return 1;
    case kCtrlClearKtlsTxCtrlMsg: io->record_type = -1; return 1;
    default: return 0;  // unknown controls: 0, as OpenSSL expects
    }
}

BIO_METHOD* span_method() {
    static BIO_METHOD* m = [] {
        BIO_METHOD* method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "uringd-span");
        BIO_meth_set_write(method, bio_write);
        BIO_meth_set_read(method, bio_read);
        BIO_meth_set_ctrl(method, bio_ctrl);
        BIO_meth_set_create(method, [](BIO* b) {
            BIO_set_init(b, 1);
            return 1;
        });
        return method;
    }();
    return m;
}

}  // namespace

Session::Session(SSL_CTX* ctx) : ssl_(SSL_new(ctx)) {
    if (!ssl_) throw std::bad_alloc();
    BIO* bio = BIO_new(span_method());
    if (!bio) {
        SSL_free(ssl_);
        throw std::bad_alloc();
    }
    static_assert(!std::is_move_constructible_v<Session>);
    BIO_set_data(bio, &io_);
    SSL_set_bio(ssl_, bio, bio);
    SSL_set_accept_state(ssl_);
    SSL_set_options(ssl_, SSL_OP_ENABLE_KTLS);  // the write keys come to the BIO
}

Session::~Session() { SSL_free(ssl_); }

void Session::enable_ktls(int fd, const KtlsHooks& hooks) {
    io_.fd = fd;
    io_.hooks = &hooks;
    SSL_set_options(ssl_, SSL_OP_ENABLE_KTLS);
}

void Session::seal_in_user_space(bool on) {
    io_.seal = on;
    if (!on && !io_.hooks) SSL_clear_options(ssl_, SSL_OP_ENABLE_KTLS);
}

Session::Status Session::status_of(int ret) {
    switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_WANT_READ: return Status::WantInput;
    case SSL_ERROR_WANT_WRITE: return Status::OutputFull;
    case SSL_ERROR_ZERO_RETURN: return Status::Closed;
    default: {
        const unsigned long e = ERR_peek_error();
        reason_ = e ? ERR_reason_error_string(e) : "connection error";
        if (reason_.data() == nullptr) reason_ = "TLS error";
        ERR_clear_error();
        return Status::Error;
    }
    }
}

Session::Status Session::handshake() {
    const int r = SSL_do_handshake(ssl_);
    return r == 1 ? Status::Ok : status_of(r);
}

Session::Status Session::read(std::span<char> out, std::size_t& n) {
    n = 0;
    while (n < out.size()) {
        std::size_t got = 0;
        const int r = SSL_read_ex(ssl_, out.data() + n, out.size() - n, &got);
        if (r != 1) return status_of(r);
        n += got;
    }
    return Status::Ok;
}

Session::Status Session::write(std::span<const char> in) {
    // Application data straight into records, OpenSSL's record layer not involved —
    // unless a KeyUpdate answer is due (RFC 8446 §4.6.3: before the next data), which
    // only SSL_write sends.
    if (io_.sealer.keyed() && SSL_get_key_update_type(ssl_) == SSL_KEY_UPDATE_NONE) {
        if (in.empty()) return Status::Ok;
        const std::size_t n = io_.sealer.seal(23, in, io_.out.subspan(io_.out_used));
        if (n == 0) return Status::OutputFull;
        io_.out_used += n;
        return Status::Ok;
    }
    std::size_t done = 0;
    const int r = SSL_write_ex(ssl_, in.data(), in.size(), &done);
    return r == 1 ? Status::Ok : status_of(r);
}

void Session::close_notify() {
    if (handshake_done()) SSL_shutdown(ssl_);
}

namespace {

int h2_index() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

}  // namespace

void Session::offer_h2() {
    static char yes = 1;
    SSL_set_ex_data(ssl_, h2_index(), &yes);
}

bool Session::offers_h2(const SSL* ssl) { return SSL_get_ex_data(ssl, h2_index()) != nullptr; }

std::string_view Session::alpn() const {
    const unsigned char* p = nullptr;
    unsigned len = 0;
    SSL_get0_alpn_selected(ssl_, &p, &len);
    return p ? std::string_view(reinterpret_cast<const char*>(p), len) : std::string_view{};
}

std::string_view Session::server_name() const {
    const char* n = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
    return n ? n : "";
}

std::size_t Session::max_plaintext_for(std::size_t out_bytes) {
    // Per record of ≤ 16 KiB: 5-byte header + 16-byte tag + 1 content-type byte (1.3);
    // TLS 1.2 GCM adds an 8-byte explicit nonce instead. Budget 32 bytes a record.
    constexpr std::size_t kRecord = 16384, kOverhead = 32;
    const std::size_t records = out_bytes / (kRecord + kOverhead) + 1;
    return out_bytes > records * kOverhead ? out_bytes - records * kOverhead : 0;
}

}  // namespace uringd::tls
