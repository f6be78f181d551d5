#pragma once
// Self-signed pairs for the C++ tests, made by tests/support/certs.sh (the one
// implementation; certs.py is its Python twin). Needs URINGD_SOURCE_DIR.
#include <cstdlib>
#include <string>

namespace uringd::testing {

// Writes <dir>/<name>.pem and <dir>/<name>.key; `alg` is "ecdsa" or "rsa".
// False when openssl failed.
inline bool write_self_signed(const std::string& dir, const std::string& name, const std::string& alg = "ecdsa") {
    const std::string cmd = "bash -c 'source \"" URINGD_SOURCE_DIR "/tests/support/certs.sh\" && self_signed \"" + dir +
                            "/" + name + ".pem\" \"" + dir + "/" + name + ".key\" " + name + " " + alg + "'";
    return std::system(cmd.c_str()) == 0;
}

}  // namespace uringd::testing
