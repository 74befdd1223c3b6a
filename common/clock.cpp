// Formatting of wall-clock timestamps shared by logs, the monitor's transition log and the CLI.
#include "common/clock.hpp"

#include <ctime>
#include <string>

#include <fmt/format.h>

namespace jupiter {

std::string formatUtcMs(int64_t epochMs) {
    const std::time_t secs = static_cast<std::time_t>(epochMs / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, epochMs % 1000);
}

}  // namespace jupiter
