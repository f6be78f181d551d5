#pragma once
// One access-log line per response, in nginx's "combined" format or as a JSON
// object. Pure.
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

namespace uringd::http {

struct AccessRecord {
    std::string_view peer;  // client address
    std::time_t time = 0;
    std::string_view method, target, host, referer, user_agent;
    uint8_t version_major = 1;  // 2: HTTP/2 ("HTTP/2.0", as nginx logs it)
    uint8_t version_minor = 1;
    int status = 0;
    uint64_t bytes = 0;       // body bytes sent
    int64_t duration_us = 0;  // from the request's last byte to the response's
    // Over TLS (empty otherwise): "TLSv1.3", the cipher suite, the ALPN protocol.
    std::string_view tls_version, tls_cipher, alpn;
};

// 127.0.0.1 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 2326 "ref" "ua"\n
// (times in UTC; '"', '\' and bytes outside printable ASCII become \xHH, as nginx).
void append_combined(std::string& out, const AccessRecord& r);
// {"time":"2000-10-10T13:55:36Z","remote":…,"host":…,"method":…,"uri":…,
//  "protocol":"HTTP/1.1","status":200,"bytes":2326,"referer":…,"user_agent":…,
//  "duration_us":125[,"tls_version":…,"tls_cipher":…,"alpn":…]}\n
// Strings are valid UTF-8: UTF-8 in the request is kept, any other byte above 0x7e
// becomes U+FFFD, control characters \u00XX.
void append_json(std::string& out, const AccessRecord& r);

}  // namespace uringd::http
