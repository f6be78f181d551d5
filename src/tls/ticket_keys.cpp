#include <uringd/base/error.hpp>
#include <uringd/tls/ticket_keys.hpp>

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

namespace uringd::tls {

namespace {

// A generated key seals for one period and opens for two more: a ticket issued at
// the end of its key's period still opens for two periods, OpenSSL's default ticket
// lifetime (7200 s) with hourly keys.
constexpr std::size_t kGeneratedKeys = 3;

bool fill_random(TicketKey& k) {
    return RAND_bytes(k.name.data(), k.name.size()) == 1 && RAND_bytes(k.aes.data(), k.aes.size()) == 1 &&
           RAND_bytes(k.hmac.data(), k.hmac.size()) == 1;
}

TicketKey random_key() {
    TicketKey k;
    if (!fill_random(k)) fail("session ticket key: no random bytes from OpenSSL");
    return k;
}

int ex_index() {
    static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

bool init_mac(EVP_MAC_CTX* mac, const TicketKey& k) {
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
        OSSL_PARAM_construct_end(),
    };
    return EVP_MAC_init(mac, k.hmac.data(), k.hmac.size(), params) == 1;
}

// OpenSSL's ticket callback (RFC 5077 format, which it frames): seal with the
// current key; open with the key the ticket names, asking for a fresh ticket (2)
// on TLS 1.3 or when that key no longer seals, or for a full handshake when no key
// has that name (0).
int on_ticket_key(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac,
                  int seal) {
    const auto* keys = static_cast<const TicketKeys*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_index()));
    if (!keys) return -1;
    const auto now = TicketKeys::Clock::now();
    if (seal) {
        const TicketKey k = keys->sealing(now);
        std::memcpy(name, k.name.data(), k.name.size());
        if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(EVP_aes_256_cbc())) != 1) return -1;
        if (EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, k.aes.data(), iv) != 1) return -1;
        return init_mac(mac, k) ? 1 : -1;
    }
    const std::optional<TicketKeys::Found> found = keys->find(name, now);
    if (!found) return 0;
    if (!init_mac(mac, found->key)) return -1;
    if (EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, found->key.aes.data(), iv) != 1) return -1;
    // 2 asks OpenSSL for a fresh ticket. TLS 1.3 always gets one (its tickets are
    // meant for one use, and OpenSSL's own keys renew them too): a client that
    // resumed would otherwise hold no ticket for its next connection.
    return found->current && SSL_version(ssl) < TLS1_3_VERSION ? 1 : 2;
}

}  // namespace

TicketKeys::TicketKeys(std::vector<TicketKey> keys, Clock::duration period, Clock::time_point now)
    : period_(period),
      ring_(std::make_shared<const Ring>(std::move(keys))),
      next_rotation_((now + period).time_since_epoch().count()) {}

std::shared_ptr<TicketKeys> TicketKeys::generated(Clock::duration period) {
    return std::make_shared<TicketKeys>(std::vector<TicketKey>{random_key()}, period, Clock::now());
}

std::optional<std::string> TicketKeys::check_file_size(std::size_t bytes) {
    if (bytes != 0 && bytes % kTicketKeyFileBytes == 0) return std::nullopt;
    return fmt::format("{} bytes, not one or more keys of {} bytes (make one with: openssl rand {} > FILE)", bytes,
                       kTicketKeyFileBytes, kTicketKeyFileBytes);
}

std::shared_ptr<TicketKeys> TicketKeys::from_file(const std::string& path, std::string_view origin) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("{}: session_ticket_keys \"{}\": {}", origin, path, std::strerror(errno));
    const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) fail("{}: session_ticket_keys \"{}\": read error", origin, path);
    if (auto why = check_file_size(bytes.size())) fail("{}: session_ticket_keys \"{}\": {}", origin, path, *why);
    std::vector<TicketKey> keys(bytes.size() / kTicketKeyFileBytes);
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const char* p = bytes.data() + i * kTicketKeyFileBytes;
        std::memcpy(keys[i].name.data(), p, 16);
        std::memcpy(keys[i].aes.data(), p + 16, 32);
        std::memcpy(keys[i].hmac.data(), p + 48, 32);
    }
    return std::make_shared<TicketKeys>(std::move(keys), Clock::duration::zero(), Clock::now());
}

void TicketKeys::install(SSL_CTX* ctx) const {
    SSL_CTX_set_ex_data(ctx, ex_index(), const_cast<TicketKeys*>(this));
    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, on_ticket_key);
}

std::shared_ptr<const TicketKeys::Ring> TicketKeys::keys(Clock::time_point now) const {
    if (period_ != Clock::duration::zero() &&
        now.time_since_epoch().count() >= next_rotation_.load(std::memory_order_acquire))
        rotate(now);
    return ring_.load(std::memory_order_acquire);
}

// One worker rotates; the others keep the keys they loaded until it is done.
void TicketKeys::rotate(Clock::time_point now) const {
    const std::lock_guard lock(rotating_);
    if (now.time_since_epoch().count() < next_rotation_.load(std::memory_order_relaxed)) return;
    next_rotation_.store((now + period_).time_since_epoch().count(), std::memory_order_release);
    // Called from OpenSSL's callback: no exception may leave. Without random bytes
    // the current key seals for another period.
    TicketKey fresh;
    if (!fill_random(fresh)) return;
    auto next = std::make_shared<Ring>();
    next->push_back(fresh);
    const std::shared_ptr<const Ring> old = ring_.load(std::memory_order_relaxed);
    next->insert(next->end(), old->begin(), old->begin() + std::min(old->size(), kGeneratedKeys - 1));
    ring_.store(std::move(next), std::memory_order_release);
}

TicketKey TicketKeys::sealing(Clock::time_point now) const { return keys(now)->front(); }

std::optional<TicketKeys::Found> TicketKeys::find(const uint8_t* name, Clock::time_point now) const {
    const std::shared_ptr<const Ring> ring = keys(now);
    for (std::size_t i = 0; i < ring->size(); ++i)
        if (std::memcmp((*ring)[i].name.data(), name, 16) == 0) return Found{(*ring)[i], i == 0};
    return std::nullopt;
}

std::size_t TicketKeys::size() const { return ring_.load(std::memory_order_acquire)->size(); }

}  // namespace uringd::tls
