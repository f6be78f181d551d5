// Conf text → load_text: either a Config or a ConfigError that names the file and a
// line ("fuzz.conf:12: …", or an included file's "/etc/x.conf:3: …" when the input
// includes one); any other exception, crash or hang is a finding.
#include <uringd/config/config.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

// "<file>:<line>: …" with a non-empty file and a line number.
bool names_source(std::string_view what) {
    const auto colon = what.find(':');
    if (colon == 0 || colon == std::string_view::npos) return false;
    std::size_t i = colon + 1;
    const std::size_t digits = i;
    while (i < what.size() && what[i] >= '0' && what[i] <= '9') ++i;
    return i > digits && what.substr(i).starts_with(": ");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        (void)uringd::config::load_text(text, "fuzz.conf");
    } catch (const uringd::config::ConfigError& e) {
        if (!names_source(e.what())) {
            std::fprintf(stderr, "config error without its source: %s\n", e.what());
            std::abort();
        }
    }
    return 0;
}
