// uringd: load the conf, start one pinned io_uring worker per CPU, serve until
// SIGTERM/SIGINT (reloading on SIGHUP, reopening logs on SIGUSR1), drain, exit 0.
#include "cert_watch.hpp"
#include "cli.hpp"
#include "generation.hpp"
#include "notify.hpp"
#include "ocsp_stapler.hpp"
#include "privileges.hpp"
#include "root_watch.hpp"
#include "serve_command.hpp"
#include "signals.hpp"
#include "workers.hpp"

#include <uringd/base/clock.hpp>
#include <uringd/base/log.hpp>
#include <uringd/config/config.hpp>
#include <uringd/ring/ring.hpp>
#include <uringd/server/context.hpp>
#include <uringd/tls/ktls.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

namespace {

using namespace uringd;

void print_version() {
    std::printf("uringd %s\nio_uring: %s\nkernel TLS: %s\n", URINGD_VERSION, ring::probe_features().describe().c_str(),
                tls::ktls::kernel_supports_tls() ? "available" : "not available (no tls ULP)");
}

// Cached files hold descriptors: use the whole hard limit, as nginx's
// worker_rlimit_nofile would.
void raise_fd_limit() {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
    }
}

// Root's pinned memory is not charged to RLIMIT_MEMLOCK, but after the switch to
// [server] user a reload's rings and buffers are: lift the limit while still root,
// as the systemd unit's LimitMEMLOCK=infinity does.
void raise_memlock_limit(const config::ServerConfig& conf) {
    if (geteuid() != 0 || conf.user.empty()) return;
    const rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
    if (setrlimit(RLIMIT_MEMLOCK, &unlimited) < 0)
        spdlog::warn(
            "cannot lift RLIMIT_MEMLOCK ({}): a reload as user {} needs its rings and buffers to fit "
            "in the current limit (ulimit -l)",
            std::strerror(errno), conf.user);
}

// The generations a reload replaced, draining off the main thread. Until one is
// done it may still log lines (requests begun before the reload), so SIGUSR1 must
// reopen its access log too, or those lines land in the file logrotate moved away.
class Retiring {
public:
    void add(daemon::Generation old) {
        reap();
        if (old.ctx->access_log) logs_.push_back(old.ctx->access_log);
        auto done = std::make_shared<std::atomic<bool>>(false);
        threads_.push_back({std::thread([old = std::move(old), done]() mutable {
                                old.workers->drain_and_join();
                                old.workers.reset();  // the rings, buffers and log files go now,
                                old.ctx.reset();      // not at exit (workers first: they use ctx)
                                done->store(true);
                            }),
                            done});
    }

    void reopen_access_logs() {
        std::erase_if(logs_, [](const std::weak_ptr<server::AccessLog>& w) { return w.expired(); });
        for (const auto& w : logs_)
            if (const auto log = w.lock()) log->reopen();
    }

    void join() {
        for (auto& d : threads_) d.thread.join();
        threads_.clear();
    }

private:
    struct Draining {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };

    // Joins the drains that ended, so years of reloads keep no finished threads.
    void reap() {
        std::erase_if(threads_, [](Draining& d) {
            if (!d.done->load()) return false;
            d.thread.join();
            return true;
        });
    }

    std::vector<Draining> threads_;
    std::vector<std::weak_ptr<server::AccessLog>> logs_;
};

// SIGHUP: a new generation on the same sockets, or the running one kept (and why).
void reload(const std::string& path, config::Config& running, daemon::Generation& current,
            const daemon::Listeners& sockets, Retiring& retiring) {
    try {
        config::Config next = config::load_file(path);
        if (const auto why = daemon::restart_needed(running, next)) {
            spdlog::error("reload: {} changed, which needs a restart; still serving the previous configuration", *why);
            return;
        }
        daemon::Generation fresh = daemon::start_generation(next, sockets);
        fresh.workers->start();
        log::set_level(next.log.level);
        // The old workers stop accepting (the sockets stay open in the new ones),
        // finish what they are sending and close their connections, off this thread.
        retiring.add(std::move(current));
        current = std::move(fresh);
        running = std::move(next);
        spdlog::info("reloaded {}: {}", path, daemon::describe(current));
    } catch (const std::exception& e) {
        spdlog::error("reload failed, still serving the previous configuration: {}", e.what());
    }
}

// How long the main thread sleeps between looks: the watchdog's half-interval, and
// at most a second while certificate files or site roots are watched.
int wake_interval_ms(const daemon::Notifier& notifier, bool watching) {
    const int watchdog = notifier.watchdog_interval_ms();
    if (!watching) return watchdog;
    return watchdog > 0 ? std::min(watchdog, 1000) : 1000;
}

// A stop begins: /healthz answers 503 and responses close their connections, while
// the workers keep accepting for `delay_ms`, so a load balancer's health check takes
// this node out before its listeners close. A second SIGTERM/SIGINT ends the wait.
void announce_stop(const daemon::Generation& current, const sigset_t& signals, uint32_t delay_ms) {
    current.ctx->stopping->store(true, std::memory_order_relaxed);
    if (delay_ms == 0) return;
    spdlog::info("stopping: /healthz answers 503; still serving for {} ms (drain_delay_ms)", delay_ms);
    const int64_t end = clock::monotonic_ms() + delay_ms;
    for (int64_t left = delay_ms; left > 0; left = end - clock::monotonic_ms()) {
        const int sig = daemon::wait_signal(signals, static_cast<int>(left));
        if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) return;
    }
}

// `path` is re-read on SIGHUP; empty for `uringd serve`, whose conf has no file.
int serve(config::Config conf, const std::string& path) {
    raise_fd_limit();
    raise_memlock_limit(conf.server);
    const sigset_t signals = daemon::block_signals();
    const daemon::Notifier notifier;
    // Bind (maybe below 1024), create every ring and register its buffers (pinned
    // memory is not counted against RLIMIT_MEMLOCK for root), then leave root, then
    // serve: no request is ever handled with root's credentials. The sockets are
    // kept here for the generations that reloads start.
    const daemon::Listeners sockets = daemon::open_listeners(conf);
    daemon::Generation current = daemon::start_generation(conf, sockets);
    daemon::hand_over_files(conf);
    daemon::drop_privileges(conf.server);
    current.workers->start();
    spdlog::info("uringd {} ready: {}", URINGD_VERSION, daemon::describe(current));
    if (current.ctx->tls) spdlog::info("certificates: {}", current.ctx->tls->current()->summary());
    notifier.ready(daemon::describe(current));  // every worker is accepting by now
    Retiring retiring;
    daemon::CertificateWatcher certificates(conf);
    // Only a conf file can be reloaded (not `uringd serve`'s).
    daemon::RootWatcher roots = path.empty() ? daemon::RootWatcher() : daemon::RootWatcher(*current.ctx);
    daemon::OcspStapler stapler;
    const auto staple_current = [&] {
        stapler.watch(current.ctx->tls && conf.tls.ocsp_stapling ? current.ctx->tls->current() : nullptr);
    };
    staple_current();
    const auto reload_now = [&] {
        notifier.reloading();
        const auto* before = current.ctx.get();
        reload(path, conf, current, sockets, retiring);
        certificates = daemon::CertificateWatcher(conf);  // the files as this generation loaded them
        // The roots it opened; after a failed reload the old watcher (which reported
        // its change once) stays, so a broken conf is not retried every second.
        if (current.ctx.get() != before) roots = daemon::RootWatcher(*current.ctx);
        staple_current();
        notifier.ready(daemon::describe(current));
    };
    for (;;) {
        const int sig =
            daemon::wait_signal(signals, wake_interval_ms(notifier, certificates.active() || roots.active()));
        if (sig == 0) {
            if (notifier.watchdog_interval_ms() > 0) notifier.watchdog();  // (the wake may be the watcher's)
            if (current.ctx->tls && certificates.poll(conf, *current.ctx->tls)) staple_current();
            if (const std::string moved = roots.poll(); !moved.empty()) {
                spdlog::info("site root {} leads to another directory now: reloading", moved);
                reload_now();
            }
        } else if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) {
            break;
        } else if (sig == SIGUSR1) {
            if (current.ctx->access_log) current.ctx->access_log->reopen();
            retiring.reopen_access_logs();
        } else if (sig == SIGHUP && path.empty()) {
            spdlog::warn("SIGHUP: nothing to reload (uringd serve has no conf file)");
        } else if (sig == SIGHUP) {
            reload_now();
        }
    }
    notifier.stopping();
    announce_stop(current, signals, conf.limits.drain_delay_ms);
    spdlog::info("draining: no new connections; in-flight responses get {} ms", conf.limits.drain_timeout_ms);
    current.workers->drain_and_join();
    retiring.join();
    spdlog::info("stopped");
    return 0;
}

}  // namespace

// `uringd serve DIR`: the same server, with a conf built in memory.
int serve_folder(const daemon::ServeOptions& opts) {
    const daemon::ServeSetup setup(opts);
    config::Config conf = config::load_text(setup.conf_text(), "uringd serve");
    server::load_tls(conf);
    log::init(conf.log.level);
    for (const auto& url : setup.urls())
        std::printf("uringd: serving %s on %s (Ctrl-C to stop)\n", conf.sites[0].root.c_str(), url.c_str());
    std::fflush(stdout);
    return serve(std::move(conf), "");
}

int main(int argc, char** argv) {
    const auto opts = daemon::parse_args(argc, argv);
    if (!opts) return 2;
    if (opts->serve) {
        try {
            return serve_folder(*opts->serve);
        } catch (const std::exception& e) {
            log::fatal(e.what());
            return 1;
        }
    }
    if (opts->help) {
        daemon::print_usage();
        return 0;
    }
    if (opts->version) {
        print_version();
        return 0;
    }
    if (!opts->conf_manual.empty()) {  // for the build: man/uringd.conf.5 from the directive table
        std::FILE* f = std::fopen(opts->conf_manual.c_str(), "w");
        if (!f || std::fputs(config::conf_manual().c_str(), f) < 0 || std::fclose(f) != 0) {
            log::fatal(fmt::format("{}: {}", opts->conf_manual, std::strerror(errno)));
            return 1;
        }
        return 0;
    }
    try {
        const config::Config conf = config::load_file(opts->conf_path);
        if (opts->test_only) {
            server::load_tls(conf);  // certificates are loaded, and so checked, by -t too
            if (opts->dump) {        // as nginx -T: the verdict on stderr, the configuration on stdout
                std::fprintf(stderr, "uringd: configuration file %s test is successful\n", opts->conf_path.c_str());
                std::fputs(config::effective_text(conf).c_str(), stdout);
                return 0;
            }
            std::printf("uringd: configuration file %s test is successful\n", opts->conf_path.c_str());
            return 0;
        }
        log::init(conf.log.level);
        return serve(conf, opts->conf_path);
    } catch (const std::exception& e) {  // ConfigError included: "FILE:LINE: key: …"
        log::fatal(e.what());
        return 1;
    }
}
