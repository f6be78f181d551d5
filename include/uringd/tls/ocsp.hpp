#pragma once
// OCSP stapling (RFC 6960, RFC 6066 §8): asking a certificate's responder whether it
// is still good, off the workers, and checking the answer before it is ever handed
// to a client. The handing out is ContextSet's (set_staple / the status callback).
#include <openssl/ssl.h>

#include <ctime>
#include <string>

namespace uringd::tls {

// The OCSP responder URL in the certificate's Authority Information Access, or "".
std::string ocsp_url(X509* cert);

struct OcspStaple {
    std::string der;  // the whole OCSPResponse, as clients get it
    std::time_t this_update = 0;
    std::time_t next_update = 0;  // 0: the responder gave none
};

// Asks the responder of `ctx`'s certificate (its issuer must be in the chain file),
// waiting at most `timeout_s`, and checks the answer: signed for that issuer, status
// good, current. Blocking: call it from a thread that serves no one. Throws
// uringd::Error saying what failed.
OcspStaple fetch_ocsp(SSL_CTX* ctx, int timeout_s);

}  // namespace uringd::tls
