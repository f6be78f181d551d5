#include <uringd/base/error.hpp>
#include <uringd/server/context.hpp>

#include <fcntl.h>

#include <cerrno>

namespace uringd::server {

std::vector<Site> open_sites(const config::Config& conf) {
    std::vector<Site> sites;
    for (const auto& s : conf.sites) {
        UniqueFd root(::open(s.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!root) throw_errno(errno, fmt::format("{}:{}: root \"{}\"", conf.source, s.line, s.root));
        sites.push_back(Site{s, std::move(root)});
    }
    return sites;
}

}  // namespace uringd::server
