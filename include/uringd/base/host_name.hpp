#pragma once
// Host-name patterns shared by SNI certificate choice and Host-based sites.
#include <string_view>

namespace uringd {

// ASCII case-insensitive; "*.example.com" matches exactly one label before
// ".example.com" ("a.example.com", not "example.com" or "a.b.example.com");
// anything else must match exactly.
bool host_name_matches(std::string_view pattern, std::string_view name);

}  // namespace uringd
