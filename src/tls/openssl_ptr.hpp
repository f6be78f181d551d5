#pragma once
// Owning pointers for OpenSSL objects inside the tls module: Owned<X509, X509_free>.
#include <memory>

namespace uringd::tls::detail {

template <auto Free>
struct Deleter {
    template <typename T>
    void operator()(T* p) const {
        Free(p);
    }
};

template <typename T, auto Free>
using Owned = std::unique_ptr<T, Deleter<Free>>;

}  // namespace uringd::tls::detail
