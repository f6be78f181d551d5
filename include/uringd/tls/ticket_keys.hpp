#pragma once
// The keys that seal and open TLS session tickets, shared by every SSL_CTX of the
// process, so a ticket outlives a reload or a certificate renewal. Either generated
// (random, rotated every `period`, a key kept for two periods after it stops
// sealing) or read from a file of 80-byte keys that a fleet shares (the first seals,
// all open; the operator rotates them).
#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace uringd::tls {

struct TicketKey {
    std::array<uint8_t, 16> name{};  // tells the keys apart in a ticket
    std::array<uint8_t, 32> aes{};   // AES-256-CBC
    std::array<uint8_t, 32> hmac{};  // HMAC-SHA256
};
inline constexpr std::size_t kTicketKeyFileBytes = 80;  // name, AES key, HMAC key

class TicketKeys {
public:
    using Clock = std::chrono::steady_clock;

    // One random key now, another every `period`.
    static std::shared_ptr<TicketKeys> generated(Clock::duration period = std::chrono::hours(1));
    // The keys of a file of N × 80 bytes (`openssl rand 80 > FILE`); throws
    // uringd::Error naming `origin` ("FILE:LINE" of the conf key) and the file when
    // it cannot be read or is not such a file.
    static std::shared_ptr<TicketKeys> from_file(const std::string& path, std::string_view origin);
    // Why `bytes` is not a key file, or nothing when it is one.
    static std::optional<std::string> check_file_size(std::size_t bytes);

    // Every context that issues tickets seals and opens them with these keys.
    void install(SSL_CTX* ctx) const;

    // The key that seals now (rotating generated keys when due), and the one named
    // `name` with whether it is the sealing one; null when no key has that name.
    TicketKey sealing(Clock::time_point now) const;
    struct Found {
        TicketKey key;
        bool current = false;
    };
    std::optional<Found> find(const uint8_t* name, Clock::time_point now) const;

    std::size_t size() const;

    explicit TicketKeys(std::vector<TicketKey> keys, Clock::duration period, Clock::time_point now);

private:
    using Ring = std::vector<TicketKey>;  // the first seals
    std::shared_ptr<const Ring> keys(Clock::time_point now) const;
    void rotate(Clock::time_point now) const;

    const Clock::duration period_;  // zero: fixed keys (a file's)
    mutable std::atomic<std::shared_ptr<const Ring>> ring_;
    mutable std::atomic<Clock::rep> next_rotation_;
    mutable std::mutex rotating_;
};

}  // namespace uringd::tls
