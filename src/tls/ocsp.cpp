#include "openssl_ptr.hpp"

#include <uringd/base/error.hpp>
#include <uringd/tls/context.hpp>
#include <uringd/tls/ocsp.hpp>

#include <openssl/http.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <memory>

namespace uringd::tls {

namespace {

using Request = detail::Owned<OCSP_REQUEST, OCSP_REQUEST_free>;
using Response = detail::Owned<OCSP_RESPONSE, OCSP_RESPONSE_free>;
using Basic = detail::Owned<OCSP_BASICRESP, OCSP_BASICRESP_free>;
using CertId = detail::Owned<OCSP_CERTID, OCSP_CERTID_free>;
using Store = detail::Owned<X509_STORE, X509_STORE_free>;
using Bio = detail::Owned<BIO, BIO_free_all>;

struct Url {
    std::string host, port, path;
    bool tls = false;
};

Url parse(const std::string& url) {
    char *host = nullptr, *port = nullptr, *path = nullptr;
    int use_ssl = 0;
    if (OSSL_HTTP_parse_url(url.c_str(), &use_ssl, nullptr, &host, &port, nullptr, &path, nullptr, nullptr) != 1)
        fail("OCSP responder URL \"{}\": cannot parse it", url);
    Url u{host, port, path, use_ssl != 0};
    OPENSSL_free(host);
    OPENSSL_free(port);
    OPENSSL_free(path);
    return u;
}

X509* issuer_in_chain(SSL_CTX* ctx, X509* leaf) {
    STACK_OF(X509)* chain = nullptr;
    SSL_CTX_get0_chain_certs(ctx, &chain);
    for (int i = 0; chain && i < sk_X509_num(chain); ++i)
        if (X509_check_issued(sk_X509_value(chain, i), leaf) == X509_V_OK) return sk_X509_value(chain, i);
    return nullptr;
}

std::time_t to_time(const ASN1_GENERALIZEDTIME* t) {
    std::tm tm{};
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
    return timegm(&tm);
}

Response ask(const Url& url, OCSP_REQUEST* req, int timeout_s) {
    if (url.tls) fail("OCSP responder https://{}: only http:// responders are supported", url.host);
    Bio body(ASN1_item_i2d_mem_bio(ASN1_ITEM_rptr(OCSP_REQUEST), reinterpret_cast<const ASN1_VALUE*>(req)));
    if (!body) fail("OCSP request: {}", openssl_errors());
    Bio answer(OSSL_HTTP_transfer(nullptr, url.host.c_str(), url.port.c_str(), url.path.c_str(), 0, nullptr, nullptr,
                                  nullptr, nullptr, nullptr, nullptr, 0, nullptr, "application/ocsp-request",
                                  body.get(), "application/ocsp-response", 1, 64 * 1024, timeout_s, 0));
    if (!answer) fail("OCSP responder http://{}:{}{}: {}", url.host, url.port, url.path, openssl_errors());
    Response resp(d2i_OCSP_RESPONSE_bio(answer.get(), nullptr));
    if (!resp) fail("OCSP responder http://{}:{}: not an OCSP response", url.host, url.port);
    return resp;
}

}  // namespace

std::string ocsp_url(X509* cert) {
    STACK_OF(OPENSSL_STRING)* urls = X509_get1_ocsp(cert);
    std::string out = urls && sk_OPENSSL_STRING_num(urls) > 0 ? sk_OPENSSL_STRING_value(urls, 0) : "";
    X509_email_free(urls);
    return out;
}

OcspStaple fetch_ocsp(SSL_CTX* ctx, int timeout_s) {
    X509* leaf = SSL_CTX_get0_certificate(ctx);
    if (!leaf) fail("OCSP: no certificate");
    const std::string url = ocsp_url(leaf);
    if (url.empty()) fail("OCSP: the certificate names no responder");
    X509* issuer = issuer_in_chain(ctx, leaf);
    if (!issuer) fail("OCSP: the certificate file holds no issuer certificate (put the chain after the leaf)");
    CertId id(OCSP_cert_to_id(nullptr, leaf, issuer));
    Request req(OCSP_REQUEST_new());
    CertId for_request(OCSP_CERTID_dup(id.get()));
    if (!id || !req || !for_request || !OCSP_request_add0_id(req.get(), for_request.get()))
        fail("OCSP request: {}", openssl_errors());
    [[maybe_unused]] OCSP_CERTID* owned_by_request = for_request.release();  // add0: the request frees it
    Response resp = ask(parse(url), req.get(), timeout_s);
    if (const int s = OCSP_response_status(resp.get()); s != OCSP_RESPONSE_STATUS_SUCCESSFUL)
        fail("OCSP responder {}: {}", url, OCSP_response_status_str(s));
    Basic basic(OCSP_response_get1_basic(resp.get()));
    Store store(X509_STORE_new());
    if (!basic || !store || X509_STORE_add_cert(store.get(), issuer) != 1) fail("OCSP: {}", openssl_errors());
    STACK_OF(X509)* chain = nullptr;
    SSL_CTX_get0_chain_certs(ctx, &chain);
    // Signed by the issuer itself, or by a responder certificate the issuer signed.
    if (OCSP_basic_verify(basic.get(), chain, store.get(), OCSP_TRUSTOTHER) <= 0)
        fail("OCSP responder {}: the response does not verify: {}", url, openssl_errors());
    int status = 0, reason = 0;
    ASN1_GENERALIZEDTIME *revoked = nullptr, *this_update = nullptr, *next_update = nullptr;
    if (OCSP_resp_find_status(basic.get(), id.get(), &status, &reason, &revoked, &this_update, &next_update) != 1)
        fail("OCSP responder {}: the response is not about this certificate", url);
    if (status != V_OCSP_CERTSTATUS_GOOD)
        fail("OCSP responder {}: certificate status {}", url, OCSP_cert_status_str(status));
    if (OCSP_check_validity(this_update, next_update, 300, -1) != 1)
        fail("OCSP responder {}: the response is not current", url);
    unsigned char* der = nullptr;
    const int len = i2d_OCSP_RESPONSE(resp.get(), &der);
    if (len <= 0) fail("OCSP: {}", openssl_errors());
    OcspStaple staple{std::string(reinterpret_cast<char*>(der), static_cast<std::size_t>(len)), to_time(this_update),
                      to_time(next_update)};
    OPENSSL_free(der);
    return staple;
}

}  // namespace uringd::tls
