#pragma once
// Start-up and configuration errors: thrown at the edges, caught once in main.
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace uringd {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Throws Error("what: strerror(err)").
[[noreturn]] void throw_errno(int err, std::string_view what);

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
    throw Error(fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace uringd
