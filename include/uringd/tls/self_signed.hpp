#pragma once
// A throwaway self-signed certificate (ECDSA P-256, valid for 30 days) for
// `uringd serve --tls-self-signed` and tests: PEM text, made in memory.
#include <string>
#include <vector>

namespace uringd::tls {

struct PemPair {
    std::string certificate;
    std::string key;
};

// `names`: DNS names and IP addresses for subjectAltName; the first is also the CN.
// Throws uringd::Error with OpenSSL's reason.
PemPair make_self_signed(const std::vector<std::string>& names);

}  // namespace uringd::tls
