// Ciphertext from a client → tls::Session (our span BIO around OpenSSL) as the worker
// drives it: handshake steps, then reads, over input that arrives in slices and an
// output span that may be small. The first byte picks slice and output sizes.
#include "check.hpp"

#include <uringd/tls/context.hpp>
#include <uringd/tls/session.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

using namespace uringd;

using fuzz::check;

// A throwaway P-256 key and self-signed certificate, written where ContextSet loads
// them from (it takes paths, as the conf does).
std::string write_credentials() {
    const auto dir = std::filesystem::temp_directory_path() / ("uringd-tls-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_set_pubkey(cert, key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("fuzz.example"), -1, -1, 0);
    X509_set_issuer_name(cert, X509_get_subject_name(cert));
    X509_sign(cert, key, EVP_sha256());
    FILE* f = std::fopen((dir / "key.pem").c_str(), "w");
    PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    f = std::fopen((dir / "cert.pem").c_str(), "w");
    PEM_write_X509(f, cert);
    std::fclose(f);
    X509_free(cert);
    EVP_PKEY_free(key);
    return dir.string();
}

tls::ContextOptions options_for(const std::string& dir) {
    tls::ContextOptions o;
    o.certificates.push_back({dir + "/cert.pem", dir + "/key.pem", {}, "fuzz"});
    return o;
}

tls::ContextSet& contexts() {
    static const std::string dir = write_credentials();
    static tls::ContextSet set(options_for(dir));
    // Read into the contexts: the files go (a run used to leave its directory behind).
    static const bool removed = std::filesystem::remove_all(dir) > 0;
    (void)removed;
    return set;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const uint8_t opts = data[0];
    const std::span<const char> input(reinterpret_cast<const char*>(data + 1), size - 1);
    const std::size_t slice = opts & 0x80 ? 1 + (opts & 0x3f) : input.size() + 1;
    std::vector<char> out(opts & 0x40 ? 64 : 17 * 1024);
    std::array<char, 16 * 1024> plain;

    tls::Session session(contexts().default_context());
    std::size_t fed = 0;
    std::vector<char> pending;
    for (int steps = 0; steps < 10'000; ++steps) {
        if (pending.empty() && fed == input.size()) break;
        const std::size_t n = std::min(slice, input.size() - fed);
        pending.insert(pending.end(), input.begin() + static_cast<long>(fed),
                       input.begin() + static_cast<long>(fed + n));
        fed += n;
        session.set_input(pending);
        session.set_output(out);
        tls::Session::Status st;
        if (!session.handshake_done()) {
            st = session.handshake();
        } else {
            std::size_t got = 0;
            st = session.read(plain, got);
            check(got <= plain.size(), "read past the plaintext span");
        }
        check(session.output_size() <= out.size(), "wrote past the output span");
        check(session.input_left() <= pending.size(), "input grew");
        pending.erase(pending.begin(), pending.end() - static_cast<long>(session.input_left()));
        if (st == tls::Session::Status::Error || st == tls::Session::Status::Closed) break;
        if (st == tls::Session::Status::WantInput && fed == input.size()) break;
    }
    return 0;
}
