// uringd: load the conf, start one pinned io_uring worker per CPU, serve until
// SIGTERM/SIGINT, drain, exit 0.
#include "cli.hpp"
#include "notify.hpp"
#include "privileges.hpp"
#include "signals.hpp"
#include "workers.hpp"

#include <uringd/base/log.hpp>
#include <uringd/config/config.hpp>
#include <uringd/ring/ring.hpp>
#include <uringd/server/context.hpp>
#include <uringd/tls/context.hpp>
#include <uringd/tls/ktls.hpp>

#include <sys/resource.h>

#include <algorithm>

#include <cstdio>
#include <cstdlib>

namespace {

using namespace uringd;

void print_version() {
    std::printf("uringd %s\nio_uring: %s\nkernel TLS: %s\n", URINGD_VERSION, ring::probe_features().describe().c_str(),
                tls::ktls::kernel_supports_tls() ? "available" : "not available (no tls ULP)");
}

std::string listeners_text(const config::Config& conf) {
    std::string s;
    for (const auto& l : conf.listen)
        s += fmt::format("{}{}{}", s.empty() ? "" : ", ", l.address.to_string(), l.tls ? " (tls)" : "");
    if (conf.admin.enabled) s += fmt::format(", {} (admin)", conf.admin.address.to_string());
    return s;
}

// Certificates are loaded (and so checked) by -t too.
std::unique_ptr<tls::ContextSet> load_tls(const config::Config& conf) { return server::load_tls(conf); }

// kTLS: auto uses it where the kernel has the "tls" ULP; required refuses to start
// without it. The answer is logged once.
bool decide_ktls(const config::Config& conf) {
    if (!conf.has_tls_listener()) return false;
    if (conf.tls.ktls == config::Ktls::Off) {
        spdlog::info("TLS: kernel TLS off by configuration; records encrypted in user space (OpenSSL)");
        return false;
    }
    const bool available = tls::ktls::kernel_supports_tls();
    if (!available && conf.tls.ktls == config::Ktls::Required)
        throw config::ConfigError(fmt::format("{}:{}: ktls = \"required\", but this kernel has no TLS ULP "
                                              "(CONFIG_TLS; try: modprobe tls)", conf.source, conf.tls.line));
    if (available)
        spdlog::info("TLS: kernel TLS for transmit (OpenSSL hands over the write keys; receive stays in OpenSSL)");
    else
        spdlog::info("TLS: this kernel has no TLS ULP; records encrypted in user space (OpenSSL)");
    return available;
}

// One file per distinct access_log path, shared by the sites that name it.
void open_access_logs(server::ServerContext& ctx) {
    std::vector<std::string> paths;
    for (auto& site : ctx.sites) {
        if (site.conf.access_log.empty()) continue;
        const auto it = std::find(paths.begin(), paths.end(), site.conf.access_log);
        site.log_file = static_cast<int>(it - paths.begin());
        if (it == paths.end()) paths.push_back(site.conf.access_log);
    }
    if (paths.empty()) return;
    ctx.access_log = std::make_unique<server::AccessLog>(std::move(paths), daemon::worker_count(ctx.conf));
    ctx.access_log->start();
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

int serve(const config::Config& conf) {
    raise_fd_limit();
    server::ServerContext ctx{conf, {}, server::open_sites(conf), load_tls(conf), decide_ktls(conf)};
    for (const auto& l : conf.listen)
        if (l.tls) {
            ctx.https_port = l.address.port();
            break;
        }
    open_access_logs(ctx);  // as root, like nginx, before the privilege drop
    if (conf.admin.enabled) {
        std::vector<std::string> names;
        for (const auto& s : conf.sites) names.push_back(s.server_names.empty() ? "default" : s.server_names[0]);
        ctx.metrics = std::make_unique<server::Metrics>(daemon::worker_count(conf), std::move(names));
    }
    if (!ctx.mime.load(conf.server.mime_types))
        spdlog::warn("{}: cannot read; using the built-in MIME table", conf.server.mime_types);
    const sigset_t signals = daemon::block_signals();
    const daemon::Notifier notifier;
    // Bind (maybe below 1024), create every ring and register its buffers (pinned
    // memory is not counted against RLIMIT_MEMLOCK for root), then leave root, then
    // serve: no request is ever handled with root's credentials.
    daemon::WorkerGroup workers(ctx, daemon::open_listeners(conf));
    daemon::drop_privileges(conf.server);
    workers.start();
    const std::string status = fmt::format("{} workers, io_uring {}, listening on {}", workers.size(),
                                           workers.ring_mode(), listeners_text(conf));
    spdlog::info("uringd {} ready: {}", URINGD_VERSION, status);
    notifier.ready(status);  // every worker is accepting by now
    for (;;) {
        const int sig = daemon::wait_signal(signals, notifier.watchdog_interval_ms());
        if (sig == 0) {
            notifier.watchdog();
            continue;
        }
        if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) break;
        if (sig == SIGUSR1) {
            if (ctx.access_log) ctx.access_log->reopen();
            continue;
        }
        spdlog::info("signal {} ignored (reload is not implemented yet)", sig);
    }
    notifier.stopping();
    spdlog::info("draining: no new connections; in-flight responses get {} ms", conf.limits.drain_timeout_ms);
    workers.drain_and_join();
    spdlog::info("stopped");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const auto opts = daemon::parse_args(argc, argv);
    if (!opts) return 2;
    if (opts->help) {
        daemon::print_usage();
        return 0;
    }
    if (opts->version) {
        print_version();
        return 0;
    }
    try {
        const config::Config conf = config::load_file(opts->conf_path);
        if (opts->test_only) {
            load_tls(conf);
            std::printf("uringd: configuration file %s test is successful\n", opts->conf_path.c_str());
            return 0;
        }
        log::init(conf.log.level);
        return serve(conf);
    } catch (const config::ConfigError& e) {
        std::fprintf(stderr, "uringd: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "uringd: %s\n", e.what());
        return 1;
    }
}
