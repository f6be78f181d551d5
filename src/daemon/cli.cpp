#include "cli.hpp"

#include <cstdio>
#include <string_view>

namespace uringd::daemon {

void print_usage() {
    std::puts(
        "usage: uringd [-c FILE] [-t | -T] [--version]\n"
        "       uringd serve [DIR] [--listen ADDR]... [--tls-cert FILE --tls-key FILE | --tls-self-signed]\n"
        "  -c FILE     configuration file (default /etc/uringd/uringd.conf)\n"
        "  -t          check the configuration and exit (0 = valid)\n"
        "  -T          check it, then print it with every default filled in\n"
        "  --version   print the version and the io_uring features this kernel offers\n"
        "  serve       serve DIR (default .) with directory listings, as the invoking user,\n"
        "              on 127.0.0.1:8080 (8443 with TLS) unless --listen says otherwise;\n"
        "              Ctrl-C stops it\n"
        "signals: SIGTERM/SIGINT drain and exit, SIGHUP reloads, SIGUSR1 reopens logs");
}

namespace {

bool usage_error(const char* fmt, const char* arg) {
    std::fprintf(stderr, "uringd: ");
    std::fprintf(stderr, fmt, arg);
    std::fprintf(stderr, "\n");
    print_usage();
    return false;
}

bool parse_serve(int argc, char** argv, int i, ServeOptions& s) {
    bool have_dir = false;
    for (; i < argc; ++i) {
        const std::string_view a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--listen" || a == "-l") {
            if (!has_value) return usage_error("%s needs an address such as 0.0.0.0:8080", argv[i]);
            s.listen.emplace_back(argv[++i]);
        } else if (a == "--tls-cert" || a == "--tls-key") {
            if (!has_value) return usage_error("%s needs a file", argv[i]);
            (a == "--tls-cert" ? s.tls_cert : s.tls_key) = argv[++i];
        } else if (a == "--tls-self-signed") {
            s.tls_self_signed = true;
        } else if (!a.starts_with('-') && !have_dir) {
            s.dir = argv[i];
            have_dir = true;
        } else {
            return usage_error("serve: unknown argument \"%s\"", argv[i]);
        }
    }
    if (s.tls_cert.empty() != s.tls_key.empty())
        return usage_error("serve: %s", "--tls-cert and --tls-key go together");
    if (s.tls_self_signed && !s.tls_cert.empty())
        return usage_error("serve: %s", "--tls-self-signed or --tls-cert/--tls-key, not both");
    return true;
}

}  // namespace

std::optional<Options> parse_args(int argc, char** argv) {
    Options o;
    if (argc > 1 && std::string_view(argv[1]) == "serve") {
        for (int i = 2; i < argc; ++i)
            if (std::string_view(argv[i]) == "-h" || std::string_view(argv[i]) == "--help") {
                o.help = true;
                return o;
            }
        o.serve.emplace();
        if (!parse_serve(argc, argv, 2, *o.serve)) return std::nullopt;
        return o;
    }
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "-c" && i + 1 < argc) o.conf_path = argv[++i];
        else if (a == "-t") o.test_only = true;
        else if (a == "-T") o.test_only = o.dump = true;
        else if (a == "--version" || a == "-v") o.version = true;
        else if (a == "--conf-manual" && i + 1 < argc) o.conf_manual = argv[++i];
        else if (a == "-h" || a == "--help") o.help = true;
        else {
            usage_error("unknown argument \"%s\"", argv[i]);
            return std::nullopt;
        }
    }
    return o;
}

}  // namespace uringd::daemon
