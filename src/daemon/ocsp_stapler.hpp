#pragma once
// OCSP stapling off the workers: one thread asks each certificate's responder and
// hands the checked answer to the certificate set the workers use. It asks again
// halfway to the answer's expiry, retries a failure after 1, 2, 4 … s (at most every
// 5 minutes), and keeps the last good answer until it expires. A handshake never
// waits for it: until there is an answer, clients get none.
#include <uringd/tls/context.hpp>

#include <condition_variable>
#include <ctime>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace uringd::daemon {

class OcspStapler {
public:
    OcspStapler();   // starts the thread, idle until watch()
    ~OcspStapler();  // stops it (a fetch in progress ends within its timeout)
    OcspStapler(const OcspStapler&) = delete;
    OcspStapler& operator=(const OcspStapler&) = delete;

    // The set to staple for from now on (at start, after a reload or a certificate
    // change); null stops stapling.
    void watch(std::shared_ptr<const tls::ContextSet> set);

private:
    struct Slot {
        std::time_t due = 0;      // next question to the responder
        std::time_t expires = 0;  // of the staple in use, 0: none
        int backoff_s = 1;
        bool no_responder = false;
    };
    void run();
    void refresh(const tls::ContextSet& set, std::size_t i, Slot& slot, std::time_t now);

    std::mutex mu_;
    std::condition_variable wake_;
    bool stop_ = false;
    bool changed_ = false;
    std::shared_ptr<const tls::ContextSet> target_;
    std::thread thread_;
};

}  // namespace uringd::daemon
