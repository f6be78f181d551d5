#include "generation.hpp"

#include <uringd/base/error.hpp>
#include <uringd/base/log.hpp>
#include <uringd/tls/ktls.hpp>

#include <fcntl.h>

#include <algorithm>

namespace uringd::daemon {

namespace {

// kTLS: auto uses it where the kernel has the "tls" ULP; required refuses to start
// without it. The answer is logged once per generation.
bool decide_ktls(const config::Config& conf) {
    if (!conf.has_tls_listener()) return false;
    if (conf.tls.ktls == config::Ktls::Off) {
        spdlog::info("TLS: kernel TLS off by configuration; records sealed in user space");
        return false;
    }
    const bool available = tls::ktls::kernel_supports_tls();
    if (!available && conf.tls.ktls == config::Ktls::Required)
        throw config::ConfigError(
            fmt::format("{}:{}: ktls = \"required\", but this kernel has no TLS ULP "
                        "(CONFIG_TLS; try: modprobe tls)",
                        conf.source, conf.tls.line));
    if (available)
        spdlog::info("TLS: kernel TLS for transmit (OpenSSL hands over the write keys; receive stays in OpenSSL)");
    else spdlog::info("TLS: this kernel has no TLS ULP; records sealed in user space");
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
    ctx.access_log = std::make_shared<server::AccessLog>(std::move(paths), worker_count(ctx.conf));
    ctx.access_log->start();
}

std::unique_ptr<server::ServerContext> build_context(const config::Config& conf) {
    auto ctx = std::make_unique<server::ServerContext>(
        server::ServerContext{conf, {}, server::open_sites(conf), nullptr, decide_ktls(conf)});
    if (auto set = server::load_tls(conf)) ctx->tls = std::make_unique<server::TlsStore>(std::move(set));
    for (const auto& l : conf.listen)
        if (l.tls) {
            ctx->https_port = l.address.port();
            break;
        }
    open_access_logs(*ctx);
    if (conf.admin.enabled) {
        std::vector<std::string> names;
        for (const auto& s : conf.sites) names.push_back(s.server_names.empty() ? "default" : s.server_names[0]);
        ctx->metrics = std::make_unique<server::Metrics>(worker_count(conf), std::move(names));
    }
    if (!ctx->mime.load(conf.server.mime_types))
        spdlog::warn("{}: cannot read; using the built-in MIME table", conf.server.mime_types);
    return ctx;
}

std::string listeners_text(const config::Config& conf) {
    std::string s;
    for (const auto& l : conf.listen)
        s += fmt::format("{}{}{}", s.empty() ? "" : ", ", l.address.to_string(), l.tls ? " (tls)" : "");
    if (conf.admin.enabled) s += fmt::format(", {} (admin)", conf.admin.address.to_string());
    return s;
}

}  // namespace

Generation start_generation(const config::Config& conf, const Listeners& sockets) {
    Generation g;
    g.ctx = build_context(conf);
    g.workers = std::make_unique<WorkerGroup>(*g.ctx, dup_listeners(sockets));
    return g;
}

Listeners dup_listeners(const Listeners& sockets) {
    Listeners out(sockets.size());
    for (std::size_t w = 0; w < sockets.size(); ++w)
        for (const auto& fd : sockets[w]) {
            UniqueFd copy(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
            if (!copy) throw_errno(errno, "dup listener");
            out[w].push_back(std::move(copy));
        }
    return out;
}

std::optional<std::string> restart_needed(const config::Config& running, const config::Config& next) {
    auto addresses = [](const config::Config& c) {
        std::vector<std::string> v;
        for (const auto& l : c.listen) v.push_back(l.address_text);
        if (c.admin.enabled) v.push_back("admin " + c.admin.address_text);
        return v;
    };
    if (addresses(running) != addresses(next)) return "the listening addresses ([[listen]], [admin])";
    if (worker_count(running) != worker_count(next)) return "[server] workers";
    if (running.server.incoming_cpu != next.server.incoming_cpu) return "[server] incoming_cpu";
    if (running.server.user != next.server.user || running.server.group != next.server.group)
        return "[server] user or group";
    return std::nullopt;
}

std::string describe(const Generation& g) {
    return fmt::format("{} workers, io_uring {}, listening on {}", g.workers->size(), g.workers->ring_mode(),
                       listeners_text(g.ctx->conf));
}

}  // namespace uringd::daemon
