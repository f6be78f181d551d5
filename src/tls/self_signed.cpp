#include "openssl_ptr.hpp"

#include <uringd/base/error.hpp>
#include <uringd/tls/self_signed.hpp>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <functional>
#include <memory>

namespace uringd::tls {

namespace {

using Key = detail::Owned<EVP_PKEY, EVP_PKEY_free>;
using Cert = detail::Owned<X509, X509_free>;
using Bio = detail::Owned<BIO, BIO_free>;
using Ext = detail::Owned<X509_EXTENSION, X509_EXTENSION_free>;

[[noreturn]] void openssl_fail(const char* what) {
    char reason[256] = "unknown error";
    if (const unsigned long e = ERR_get_error()) ERR_error_string_n(e, reason, sizeof reason);
    ERR_clear_error();
    fail("self-signed certificate: {}: {}", what, reason);
}

std::string alt_names(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) {
        in6_addr a6{};
        in_addr a4{};
        const bool ip = inet_pton(AF_INET, n.c_str(), &a4) == 1 || inet_pton(AF_INET6, n.c_str(), &a6) == 1;
        if (!out.empty()) out += ',';
        out += (ip ? "IP:" : "DNS:") + n;
    }
    return out;
}

std::string pem_of(const std::function<int(BIO*)>& write, const char* what) {
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio || write(bio.get()) != 1) openssl_fail(what);
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return {data, static_cast<std::size_t>(len)};
}

}  // namespace

PemPair make_self_signed(const std::vector<std::string>& names) {
    if (names.empty()) fail("self-signed certificate: no name");
    Key key(EVP_EC_gen("P-256"));
    if (!key) openssl_fail("key");
    Cert cert(X509_new());
    if (!cert) openssl_fail("certificate");
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(time(nullptr)));
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600);
    X509_NAME* subject = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(names[0].c_str()),
                               -1, -1, 0);
    X509_set_issuer_name(cert.get(), subject);
    X509_set_pubkey(cert.get(), key.get());
    X509V3_CTX v3{};
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
    const std::string san = alt_names(names);
    Ext ext(X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, san.c_str()));
    if (!ext || X509_add_ext(cert.get(), ext.get(), -1) != 1) openssl_fail("subjectAltName");
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) openssl_fail("signing");
    return {
        pem_of([&](BIO* b) { return PEM_write_bio_X509(b, cert.get()); }, "certificate PEM"),
        pem_of([&](BIO* b) { return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr); },
               "key PEM")};
}

}  // namespace uringd::tls
