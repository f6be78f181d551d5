#pragma once
// Test support: a fresh directory under /tmp, removed with everything in it.
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace uringd::testing {

class TempDir {
public:
    explicit TempDir(const std::string& prefix) {
        std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
        if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp " + tmpl);
        path_ = tmpl;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() { std::system(("rm -rf " + path_).c_str()); }

    const std::string& path() const { return path_; }

private:
    std::string path_;
};

}  // namespace uringd::testing
