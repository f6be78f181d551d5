#include <uringd/base/error.hpp>
#include <uringd/base/log.hpp>

#include <spdlog/sinks/stdout_sinks.h>

#include <cstring>

namespace uringd {

void throw_errno(int err, std::string_view what) {
    throw Error(fmt::format("{}: {}", what, std::strerror(err)));
}

namespace log {

void init(std::string_view level) {
    auto logger = spdlog::stderr_logger_mt("uringd");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%t] %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(std::string(level)));
    spdlog::flush_on(spdlog::level::info);
}

void set_level(std::string_view level) { spdlog::set_level(spdlog::level::from_str(std::string(level))); }

bool RateLimit::allow(long now_ms) {
    if (now_ms < next_ms_) {
        ++suppressed_;
        return false;
    }
    next_ms_ = now_ms + interval_ms_;
    reported_ = suppressed_;
    suppressed_ = 0;
    return true;
}

}  // namespace log
}  // namespace uringd
