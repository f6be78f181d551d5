#include "privileges.hpp"

#include <uringd/base/error.hpp>
#include <uringd/base/log.hpp>

#include <grp.h>
#include <pwd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace uringd::daemon {

namespace {

struct Ids {
    uid_t uid;
    gid_t gid;
};

Ids lookup(const config::ServerConfig& conf) {
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* found = nullptr;
    if (getpwnam_r(conf.user.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found)
        fail("[server] user \"{}\": no such user", conf.user);
    Ids ids{pw.pw_uid, pw.pw_gid};
    if (!conf.group.empty()) {
        group gr{};
        group* g = nullptr;
        if (getgrnam_r(conf.group.c_str(), &gr, buf.data(), buf.size(), &g) != 0 || !g)
            fail("[server] group \"{}\": no such group", conf.group);
        ids.gid = gr.gr_gid;
    }
    if (ids.uid == 0) fail("[server] user \"{}\" is root; name an unprivileged user", conf.user);
    return ids;
}

void verify(const Ids& want) {
    uid_t ruid, euid, suid;
    gid_t rgid, egid, sgid;
    getresuid(&ruid, &euid, &suid);
    getresgid(&rgid, &egid, &sgid);
    gid_t groups[2];
    const int ngroups = getgroups(2, groups);
    const bool ok = ruid == want.uid && euid == want.uid && suid == want.uid && rgid == want.gid && egid == want.gid &&
                    sgid == want.gid && ngroups == 1 && groups[0] == want.gid;
    if (!ok || setuid(0) == 0)
        fail("privilege drop did not take (uid {} {} {}, gid {} {} {})", ruid, euid, suid, rgid, egid, sgid);
}

}  // namespace

void hand_over_files(const config::Config& conf) {
    if (geteuid() != 0 || conf.server.user.empty()) return;
    const Ids ids = lookup(conf.server);
    for (const auto& site : conf.sites) {
        const std::string& path = site.access_log;
        if (path.empty() || path.starts_with("/dev/")) continue;
        if (::chown(path.c_str(), ids.uid, ids.gid) < 0)
            throw_errno(errno, fmt::format("access log \"{}\": giving it to user {}", path, conf.server.user));
    }
}

void drop_privileges(const config::ServerConfig& conf) {
    if (geteuid() != 0) {
        if (!conf.user.empty()) spdlog::info("[server] user \"{}\" ignored: not started as root", conf.user);
        return;
    }
    if (conf.user.empty()) {
        if (!conf.allow_root)
            fail(
                "started as root: set [server] user (an unprivileged account such as \"www-data\"), "
                "or allow_root = true to serve as root");
        spdlog::warn("serving as root (allow_root = true)");
        return;
    }
    const Ids ids = lookup(conf);
    if (setgroups(1, &ids.gid) < 0) throw_errno(errno, "setgroups");
    if (setgid(ids.gid) < 0) throw_errno(errno, "setgid");
    if (setuid(ids.uid) < 0) throw_errno(errno, "setuid");
    verify(ids);
    spdlog::info("running as user {} (uid {}), group gid {}", conf.user, ids.uid, ids.gid);
}

}  // namespace uringd::daemon
