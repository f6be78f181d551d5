#include "ocsp_stapler.hpp"

#include <uringd/base/log.hpp>
#include <uringd/tls/ocsp.hpp>

#include <algorithm>
#include <chrono>

namespace uringd::daemon {

namespace {

constexpr int kTimeoutS = 5;
constexpr int kMaxBackoffS = 300;
constexpr std::time_t kWithoutNextUpdateS = 3600;  // a responder that gives no expiry: ask hourly

}  // namespace

OcspStapler::OcspStapler() : thread_([this] { run(); }) {}

OcspStapler::~OcspStapler() {
    {
        const std::lock_guard lock(mu_);
        stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void OcspStapler::watch(std::shared_ptr<const tls::ContextSet> set) {
    {
        const std::lock_guard lock(mu_);
        target_ = std::move(set);
        changed_ = true;
    }
    wake_.notify_one();
}

void OcspStapler::run() {
    std::shared_ptr<const tls::ContextSet> set;
    std::vector<Slot> slots;
    for (;;) {
        {
            std::unique_lock lock(mu_);
            wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_ || changed_; });
            if (stop_) return;
            if (changed_) {
                set = target_;
                changed_ = false;
                slots.assign(set ? set->size() : 0, Slot{});
            }
        }
        for (std::size_t i = 0; set && i < slots.size(); ++i) refresh(*set, i, slots[i], std::time(nullptr));
    }
}

void OcspStapler::refresh(const tls::ContextSet& set, std::size_t i, Slot& slot, std::time_t now) {
    if (slot.no_responder || now < slot.due) return;
    X509* leaf = SSL_CTX_get0_certificate(set.context(i));
    if (!leaf || tls::ocsp_url(leaf).empty()) {
        slot.no_responder = true;  // nothing to staple (a self-signed or private certificate)
        return;
    }
    try {
        const tls::OcspStaple staple = tls::fetch_ocsp(set.context(i), kTimeoutS);
        set.set_staple(i, std::make_shared<const std::string>(staple.der));
        const bool first = slot.expires == 0;
        slot.expires = staple.next_update;
        slot.due = staple.next_update > staple.this_update
                       ? staple.this_update + (staple.next_update - staple.this_update) / 2
                       : now + kWithoutNextUpdateS;
        slot.due = std::max(slot.due, now + 60);
        slot.backoff_s = 1;
        if (first) {
            char subject[256] = {};
            X509_NAME_oneline(X509_get_subject_name(leaf), subject, sizeof subject);
            spdlog::info("OCSP: stapling a good status for {}", subject);
        }
    } catch (const std::exception& e) {
        if (slot.backoff_s == 1 || slot.backoff_s == kMaxBackoffS)
            spdlog::warn("OCSP stapling: {} (asking again in {} s{})", e.what(), slot.backoff_s,
                         slot.expires ? "; the previous answer is still stapled until it expires" : "");
        if (slot.expires && now >= slot.expires) {
            set.set_staple(i, nullptr);  // never staple an expired answer
            slot.expires = 0;
        }
        slot.due = now + slot.backoff_s;
        slot.backoff_s = std::min(slot.backoff_s * 2, kMaxBackoffS);
    }
}

}  // namespace uringd::daemon
