// uringd.conf(5), generated from the directive table (uringd --conf-manual FILE), so
// the manual cannot say anything the parser does not do.
#include <uringd/config/config.hpp>

#include <fmt/format.h>

namespace uringd::config {

namespace {

// roff: a backslash is \e, and a line may not start with a control character.
std::string roff(std::string_view s) {
    std::string out;
    for (const char c : s) {
        if (c == '\\') out += "\\e";
        else if (c == '-') out += "\\-";
        else out += c;
    }
    if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
    return out;
}

constexpr const char* kIntro = R"(.TH URINGD.CONF 5 "" uringd "File Formats"
.SH NAME
uringd.conf \- configuration file of uringd(8)
.SH DESCRIPTION
The configuration is one TOML file, by default
.IR /etc/uringd/uringd.conf .
Every key has a default; the smallest useful file is one
.B [[listen]]
block with an
.B address
and one
.B [[site]]
block with a
.BR root .
.B uringd \-t \-c
.I file
checks a file and names the file, line and key of the first error;
.B uringd \-T
prints the configuration with every default filled in.
.PP
Durations (keys ending in _ms) take milliseconds or a string with a unit:
"500ms", "60s", "5m", "1h". Sizes take bytes or a string with a unit: "16k",
"1m", "1g" (also KiB, MiB, GiB; powers of 1024).
.PP
.B include
= "/etc/uringd/sites.d/*.conf" (a path or glob, or an array of them), before the
first section, reads more
.B [[site]]
and
.B [[certificate]]
blocks from other files, in name order, after this file's own sites.
)";

}  // namespace

std::string conf_manual() {
    std::string out = kIntro;
    std::string_view section;
    for (const auto& d : directives()) {
        if (d.section != section) {
            section = d.section;
            const bool blocks = section == "listen" || section == "site" || section == "certificate";
            out += fmt::format(".SH {}{}{}\n", blocks ? "[[" : "[", section, blocks ? "]]" : "]");
        }
        out += fmt::format(".TP\n.B {}\n{} (default: {})\n", roff(d.key), roff(d.doc), roff(d.default_text));
    }
    out += ".SH SEE ALSO\n.BR uringd (8)\n";
    return out;
}

}  // namespace uringd::config
