// Session-ticket keys: the key file's format, which key seals and which open as
// generated keys rotate, and a file's keys never rotating.
#include <uringd/base/error.hpp>
#include <uringd/tls/ticket_keys.hpp>

#include "../support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

using namespace uringd::tls;
using namespace std::chrono_literals;

namespace {

TicketKey key_of(uint8_t fill) {
    TicketKey k;
    k.name.fill(fill);
    k.aes.fill(fill);
    k.hmac.fill(fill);
    return k;
}

class TicketKeyFile : public ::testing::Test {
protected:
    std::string write(const std::string& bytes) {
        const std::string path = dir_.path() + "/ticket.keys";
        std::ofstream(path, std::ios::binary) << bytes;
        return path;
    }
    std::string error_of(const std::string& path) {
        try {
            TicketKeys::from_file(path, "x.conf:4");
        } catch (const uringd::Error& e) {
            return e.what();
        }
        return "";
    }
    const uringd::testing::TempDir dir_{"uringd-tickets"};
};

}  // namespace

TEST(TicketKeys, FileSizeIsOneOrMoreKeys) {
    EXPECT_FALSE(TicketKeys::check_file_size(80));
    EXPECT_FALSE(TicketKeys::check_file_size(240));
    for (std::size_t bad : {0, 1, 48, 79, 81, 100, 159}) EXPECT_TRUE(TicketKeys::check_file_size(bad)) << bad;
    EXPECT_EQ(*TicketKeys::check_file_size(48),
              "48 bytes, not one or more keys of 80 bytes (make one with: openssl rand 80 > FILE)");
}

TEST_F(TicketKeyFile, TheFirstKeySealsAndAllOpen) {
    std::string bytes;
    for (char c : {'a', 'b', 'c'})
        bytes += std::string(16, c) + std::string(32, char(c + 1)) + std::string(32, char(c + 2));
    const auto keys = TicketKeys::from_file(write(bytes), "x.conf:4");
    EXPECT_EQ(keys->size(), 3u);
    const auto now = TicketKeys::Clock::now();
    const TicketKey k = keys->sealing(now + 1000h);  // never rotated
    EXPECT_EQ(std::string(k.name.begin(), k.name.end()), std::string(16, 'a'));
    EXPECT_EQ(std::string(k.aes.begin(), k.aes.end()), std::string(32, 'b'));
    EXPECT_EQ(std::string(k.hmac.begin(), k.hmac.end()), std::string(32, 'c'));
    for (char c : {'a', 'b', 'c'}) {
        const std::string name(16, c);
        const auto found = keys->find(reinterpret_cast<const uint8_t*>(name.data()), now);
        ASSERT_TRUE(found) << c;
        EXPECT_EQ(found->current, c == 'a');
    }
    const std::string unknown(16, 'z');
    EXPECT_FALSE(keys->find(reinterpret_cast<const uint8_t*>(unknown.data()), now));
}

TEST_F(TicketKeyFile, BadFilesNameTheConfKey) {
    EXPECT_EQ(
        error_of(write(std::string(100, 'x'))),
        "x.conf:4: session_ticket_keys \"" + dir_.path() +
            "/ticket.keys\": 100 bytes, not one or more keys of 80 bytes (make one with: openssl rand 80 > FILE)");
    EXPECT_EQ(error_of(write("")).find("x.conf:4: session_ticket_keys"), 0u);
    EXPECT_EQ(error_of(dir_.path() + "/missing"),
              "x.conf:4: session_ticket_keys \"" + dir_.path() + "/missing\": No such file or directory");
}

// Hourly keys: a new one seals each period; the one before it still opens (asking
// for a fresh ticket), for two periods, then no more.
TEST(TicketKeys, GeneratedKeysRotate) {
    const auto t0 = TicketKeys::Clock::now();
    const TicketKeys keys({key_of(1)}, 1h, t0);
    const TicketKey first = keys.sealing(t0);
    EXPECT_EQ(first.name, key_of(1).name);
    EXPECT_EQ(keys.sealing(t0 + 59min).name, first.name);
    const TicketKey second = keys.sealing(t0 + 61min);
    EXPECT_NE(second.name, first.name);
    EXPECT_EQ(keys.size(), 2u);
    auto found = keys.find(first.name.data(), t0 + 61min);
    ASSERT_TRUE(found);
    EXPECT_FALSE(found->current);
    found = keys.find(second.name.data(), t0 + 61min);
    ASSERT_TRUE(found);
    EXPECT_TRUE(found->current);
    EXPECT_TRUE(keys.find(first.name.data(), t0 + 121min));  // a third key seals
    EXPECT_EQ(keys.size(), 3u);
    EXPECT_FALSE(keys.find(first.name.data(), t0 + 181min));  // a fourth: the first is gone
    EXPECT_EQ(keys.size(), 3u);
    EXPECT_TRUE(keys.find(second.name.data(), t0 + 181min));
}
