#include "cli.hpp"

#include <cstdio>
#include <string_view>

namespace uringd::daemon {

void print_usage() {
    std::puts(
        "usage: uringd [-c FILE] [-t] [--version]\n"
        "  -c FILE     configuration file (default /etc/uringd/uringd.conf)\n"
        "  -t          check the configuration and exit (0 = valid)\n"
        "  --version   print the version and the io_uring features this kernel offers\n"
        "signals: SIGTERM/SIGINT drain and exit");
}

std::optional<Options> parse_args(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "-c" && i + 1 < argc) o.conf_path = argv[++i];
        else if (a == "-t") o.test_only = true;
        else if (a == "--version" || a == "-v") o.version = true;
        else if (a == "-h" || a == "--help") o.help = true;
        else {
            std::fprintf(stderr, "uringd: unknown argument \"%s\"\n", argv[i]);
            print_usage();
            return std::nullopt;
        }
    }
    return o;
}

}  // namespace uringd::daemon
