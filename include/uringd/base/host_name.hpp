#pragma once
// Host-name patterns shared by SNI certificate choice and Host-based sites.
#include <string_view>

namespace uringd {

// ASCII case-insensitive; "*.example.com" matches exactly one label before
// ".example.com" ("a.example.com", not "example.com" or "a.b.example.com");
// anything else must match exactly.
bool host_name_matches(std::string_view pattern, std::string_view name);

inline bool is_wildcard(std::string_view pattern) { return pattern.starts_with("*."); }

// Which of several lists of patterns `name` falls under: the first list that has
// it as an exact name, else the first whose wildcard covers it (a name beats a
// wildcard wherever they stand, as in nginx and Caddy); -1 when none does.
// `names_of(item)` gives an item's patterns.
template <typename Items, typename NamesOf>
int find_host_match(const Items& items, std::string_view name, NamesOf names_of) {
    for (const bool wildcards : {false, true}) {
        int i = 0;
        for (const auto& item : items) {
            for (const auto& pattern : names_of(item))
                if (is_wildcard(pattern) == wildcards && host_name_matches(pattern, name)) return i;
            ++i;
        }
    }
    return -1;
}

}  // namespace uringd
