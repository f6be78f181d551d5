#include "cert_watch.hpp"

#include <uringd/base/log.hpp>

#include <cerrno>

namespace uringd::daemon {

CertificateWatcher::CertificateWatcher(const config::Config& conf) {
    if (!conf.has_tls_listener()) return;
    paths_ = {conf.tls.certificate, conf.tls.key};
    for (const auto& c : conf.certificates) {
        paths_.push_back(c.certificate);
        paths_.push_back(c.key);
    }
    loaded_ = look();
}

// stat() follows symlinks: certbot's live/ links point at a new archive/ file
// after a renewal, so the target's identity is what changes.
std::vector<CertificateWatcher::Signature> CertificateWatcher::look() const {
    std::vector<Signature> out;
    for (const auto& p : paths_) {
        struct stat st {};
        Signature s;
        if (::stat(p.c_str(), &st) < 0) {
            s.error = errno;
        } else {
            s = {0,
                 st.st_dev,
                 st.st_ino,
                 st.st_size,
                 int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec,
                 int64_t{st.st_ctim.tv_sec} * 1'000'000'000 + st.st_ctim.tv_nsec};
        }
        out.push_back(s);
    }
    return out;
}

bool CertificateWatcher::poll(const config::Config& conf, server::TlsStore& store) {
    if (!active()) return false;
    const std::vector<Signature> now = look();
    if (now == loaded_) {
        changed_.clear();
        return false;
    }
    if (now != changed_) {  // first sight of this state: let the writer finish
        changed_ = now;
        return false;
    }
    loaded_ = now;
    changed_.clear();
    try {
        std::shared_ptr<const tls::ContextSet> next = server::load_tls(conf);
        spdlog::info("certificate files changed: new handshakes use {}", next->summary());
        store.replace(std::move(next));
        return true;
    } catch (const std::exception& e) {
        spdlog::error("certificate files changed but cannot be used, still serving the previous ones: {}", e.what());
        return false;
    }
}

}  // namespace uringd::daemon
