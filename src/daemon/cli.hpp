#pragma once
// Command line:
//   uringd [-c FILE] [-t | -T] [--version] [-h]
//   uringd serve [DIR] [--listen ADDR]... [--tls-cert FILE --tls-key FILE | --tls-self-signed]
#include <optional>
#include <string>
#include <vector>

namespace uringd::daemon {

// `uringd serve`: a folder served with a configuration built in memory.
struct ServeOptions {
    std::string dir = ".";
    std::vector<std::string> listen;  // empty: 127.0.0.1:8080, or :8443 with TLS
    std::string tls_cert;
    std::string tls_key;
    bool tls_self_signed = false;
    bool tls() const { return tls_self_signed || !tls_cert.empty(); }
};

struct Options {
    std::string conf_path = "/etc/uringd/uringd.conf";
    bool test_only = false;
    bool dump = false;  // -T: check, then print the effective configuration
    bool version = false;
    bool help = false;
    std::string conf_manual;  // --conf-manual FILE: write uringd.conf(5) there (the build does)
    std::optional<ServeOptions> serve;
};

// Empty on a usage error (the message is already printed).
std::optional<Options> parse_args(int argc, char** argv);
void print_usage();

}  // namespace uringd::daemon
