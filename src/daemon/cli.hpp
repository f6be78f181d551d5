#pragma once
// Command line: uringd [-c FILE] [-t] [--version] [-h]
#include <optional>
#include <string>

namespace uringd::daemon {

struct Options {
    std::string conf_path = "/etc/uringd/uringd.conf";
    bool test_only = false;
    bool version = false;
    bool help = false;
};

// Empty on a usage error (the message is already printed).
std::optional<Options> parse_args(int argc, char** argv);
void print_usage();

}  // namespace uringd::daemon
