#pragma once
// Certificates that renew themselves: when a configured certificate or key file
// changes on disk (certbot or lego renewing it), the whole certificate set is loaded
// again and new handshakes use it within about two seconds, without a SIGHUP and
// without touching open connections. A pair that fails to load (half written,
// mismatched) is refused with the file's name and the running set kept.
#include <uringd/config/config.hpp>
#include <uringd/server/context.hpp>

#include <sys/stat.h>

#include <string>
#include <vector>

namespace uringd::daemon {

class CertificateWatcher {
public:
    explicit CertificateWatcher(const config::Config& conf);

    bool active() const { return !paths_.empty(); }
    // Called about once a second from the main thread. A change is acted on once two
    // polls in a row agree, so a file being written is not read half-way. True when
    // the store got a new set.
    bool poll(const config::Config& conf, server::TlsStore& store);

private:
    struct Signature {
        int error = 0;
        dev_t dev = 0;
        ino_t ino = 0;
        off_t size = 0;
        int64_t mtime_ns = 0, ctime_ns = 0;
        bool operator==(const Signature&) const = default;
    };
    std::vector<Signature> look() const;

    std::vector<std::string> paths_;
    std::vector<Signature> loaded_;   // as last loaded (or refused)
    std::vector<Signature> changed_;  // seen once, different from loaded_
};

}  // namespace uringd::daemon
