#pragma once
// `uringd serve`: a folder served without a conf file. The conf is built as TOML
// text and loaded like any other (so its errors read the same), with listings on,
// access lines on stdout and a short drain so Ctrl-C stops at once.
#include "cli.hpp"

#include <string>

namespace uringd::daemon {

class ServeSetup {
public:
    // Writes the self-signed pair, when asked for, into a private temporary folder.
    explicit ServeSetup(const ServeOptions& opts);
    ServeSetup(const ServeSetup&) = delete;
    ServeSetup& operator=(const ServeSetup&) = delete;
    ~ServeSetup();  // removes that folder

    const std::string& conf_text() const { return text_; }
    // "http://127.0.0.1:8080/" …: what to open, one per listener.
    const std::vector<std::string>& urls() const { return urls_; }

private:
    std::string temp_dir_;
    std::string text_;
    std::vector<std::string> urls_;
};

// A TOML basic string holding `s` (quotes, backslashes and control bytes escaped).
std::string toml_quote(const std::string& s);

}  // namespace uringd::daemon
