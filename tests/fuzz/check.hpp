#pragma once
// An invariant a fuzz target checks: a broken one aborts, which libFuzzer reports as
// a crash with the input that caused it.
#include <cstdio>
#include <cstdlib>

namespace uringd::fuzz {

inline void check(bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
}

}  // namespace uringd::fuzz
