#include <uringd/base/error.hpp>
#include <uringd/base/log.hpp>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace uringd {

void throw_errno(int err, std::string_view what) { throw Error(fmt::format("{}: {}", what, std::strerror(err))); }

namespace log {

namespace {

// "<3>" for an error …: the sd-daemon prefix journald turns into the priority.
class SyslogPriority final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        // trace, debug, info, warn, err, critical, off
        static constexpr char kPriority[] = {'7', '7', '6', '4', '3', '2', '6'};
        const char prefix[3] = {'<', kPriority[msg.level], '>'};
        dest.append(prefix, prefix + 3);
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<SyslogPriority>(); }
};

}  // namespace

// systemd sets JOURNAL_STREAM to the device and inode of the stream it gave us.
bool stderr_is_journal() {
    const char* env = std::getenv("JOURNAL_STREAM");
    unsigned long dev = 0, ino = 0;
    struct stat st {};
    if (!env || std::sscanf(env, "%lu:%lu", &dev, &ino) != 2 || ::fstat(2, &st) < 0) return false;
    return st.st_dev == dev && st.st_ino == ino;
}

void fatal(std::string_view message) {
    std::fprintf(stderr, "%suringd: %.*s\n", stderr_is_journal() ? "<3>" : "", static_cast<int>(message.size()),
                 message.data());
}

void init(std::string_view level) {
    auto logger = spdlog::stderr_logger_mt("uringd");
    if (stderr_is_journal()) {
        // journald stamps each line itself and files it by the priority prefix.
        auto formatter = std::make_unique<spdlog::pattern_formatter>();
        formatter->add_flag<SyslogPriority>('*').set_pattern("%*%l [%t] %v");
        logger->set_formatter(std::move(formatter));
    } else {
        logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%t] %v");
    }
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
