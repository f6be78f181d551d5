// Conf text → load_text: either a Config or a ConfigError that names the file and a
// line ("fuzz.conf:12: …"); any other exception, crash or hang is a finding.
#include <uringd/config/config.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        (void)uringd::config::load_text(text, "fuzz.conf");
    } catch (const uringd::config::ConfigError& e) {
        const std::string_view what = e.what();
        if (!what.starts_with("fuzz.conf")) {
            std::fprintf(stderr, "config error without its source: %s\n", e.what());
            std::abort();
        }
    }
    return 0;
}
