// `jupiter console`: prints the address of the monitor's live web console (with the token from the
// keys folder when it is served beyond loopback), to open in a browser.
#include <fmt/format.h>

#include "cli/cluster_dir.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "security/console_token.hpp"

namespace jupiter::cli {

int runConsole(const std::string& dirOption) {
    const auto dir = resolveClusterDir(dirOption);
    auto cfg = openCluster(dir);
    if (!cfg) {
        fmt::print(stderr, "jupiter: {}\n", cfg.error().message);
        return kExitUsage;
    }
    bool any = false;
    for (const auto* monitor : cfg->nodesWith(Role::Monitor)) {
        if (monitor->console.empty()) continue;
        const auto at = hostPort(monitor->console);
        if (!at) continue;  // the configuration was validated: not reached
        any = true;
        // 0.0.0.0 serves every address of this host; this one reaches it from here.
        const std::string host = at->host == "0.0.0.0" ? "127.0.0.1" : at->host;
        if (at->loopback()) {
            fmt::print("{}: http://{}:{}/\n", monitor->name, host, at->port);
            continue;
        }
        auto token = readConsoleToken(cfg->keysDir);
        if (!token) {
            fmt::print(stderr, "jupiter: {}\n", token.error().message);
            return kExitFailed;
        }
        fmt::print("{}: http://{}:{}/?token={}\n", monitor->name, host, at->port, *token);
    }
    if (!any) {
        fmt::print(stderr, "jupiter: no monitor in {} serves a console: add console = \"127.0.0.1:PORT\" to the "
                           "monitor's [[node]] in jupiter.toml and restart it\n", cfg->source.string());
        return kExitUsage;
    }
    return kExitOk;
}

}  // namespace jupiter::cli
