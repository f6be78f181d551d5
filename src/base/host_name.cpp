#include <uringd/base/host_name.hpp>

#include <strings.h>

namespace uringd {

namespace {

bool iequal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

bool host_name_matches(std::string_view pattern, std::string_view name) {
    if (is_wildcard(pattern)) {  // one label, as certificates' wildcards (RFC 6125 §6.4.3)
        const auto dot = name.find('.');
        return dot != std::string_view::npos && dot > 0 && iequal(pattern.substr(1), name.substr(dot));
    }
    return iequal(pattern, name);
}

}  // namespace uringd
