#include "serve_command.hpp"

#include <uringd/base/error.hpp>
#include <uringd/tls/self_signed.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace uringd::daemon {

std::string toml_quote(const std::string& s) {
    std::string out = "\"";
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20 || c == 0x7f) {
            out += fmt::format("\\u{:04x}", c);
        } else {
            out += ch;
        }
    }
    return out + '"';
}

namespace {

void write_private(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    if (!out) fail("serve: cannot write {}", path);
}

std::vector<std::string> self_signed_names() {
    std::vector<std::string> names{"localhost", "127.0.0.1", "::1"};
    char host[HOST_NAME_MAX + 1] = {};
    if (gethostname(host, sizeof host - 1) == 0 && *host && std::string_view(host) != "localhost")
        names.emplace_back(host);
    return names;
}

}  // namespace

ServeSetup::ServeSetup(const ServeOptions& o) {
    std::error_code ec;
    const auto root = std::filesystem::absolute(o.dir, ec);
    const bool tls = o.tls();
    std::vector<std::string> listen = o.listen;
    if (listen.empty()) listen.emplace_back(tls ? "127.0.0.1:8443" : "127.0.0.1:8080");
    std::string cert = o.tls_cert, key = o.tls_key;
    if (o.tls_self_signed) {
        const char* base = std::getenv("TMPDIR");
        std::string pattern = fmt::format("{}/uringd-serve-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(pattern.data())) fail("serve: cannot create a temporary folder under {}", pattern);
        temp_dir_ = pattern;
        const tls::PemPair pair = tls::make_self_signed(self_signed_names());
        cert = temp_dir_ + "/self-signed.pem";
        key = temp_dir_ + "/self-signed.key";
        write_private(cert, pair.certificate);
        write_private(key, pair.key);
    }
    // Started by root, it stays root: that is who asked (as python3 -m http.server).
    text_ = fmt::format("[server]\nallow_root = {}\n[limits]\ndrain_timeout_ms = 2000\n", geteuid() == 0);
    for (const auto& address : listen) {
        text_ += fmt::format("[[listen]]\naddress = {}\ntls = {}\n", toml_quote(address), tls);
        urls_.push_back(fmt::format("{}://{}/", tls ? "https" : "http", address));
    }
    if (tls) text_ += fmt::format("[tls]\ncertificate = {}\nkey = {}\n", toml_quote(cert), toml_quote(key));
    std::string dir = ec ? o.dir : root.lexically_normal().string();
    if (dir.size() > 1 && dir.back() == '/') dir.pop_back();  // "." → "/srv/x/" → "/srv/x"
    text_ += fmt::format("[[site]]\nroot = {}\nlisting = true\naccess_log = \"/dev/stdout\"\n", toml_quote(dir));
}

ServeSetup::~ServeSetup() {
    if (temp_dir_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(temp_dir_, ec);
}

}  // namespace uringd::daemon
