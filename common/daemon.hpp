// What every Jupiter daemon does before its event loop starts: parse the shared command line
// (--config, --dir, --daemon, --log-level), load and validate the configuration, set up logging
// to stderr or to its log file, detach when asked (double fork, pidfile held under an flock so
// that a second copy refuses to start and a kill -9 leaves no stale lock), and block termination
// signals so the event loop sees them through a signalfd.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "common/config.hpp"

namespace jupiter {

struct DaemonContext {
    Config config;
    const NodeConfig* node = nullptr;
    std::shared_ptr<spdlog::logger> log;
};

// Runs a daemon's main: `role` is the node name or "query" (then --id N picks query-N). `body`
// runs the event loop and returns the process exit code. Returns the process exit code.
int runDaemon(int argc, char** argv, const std::string& role, const std::function<int(DaemonContext&)>& body);

// A logger named after the node, printing UTC millisecond timestamps.
std::shared_ptr<spdlog::logger> makeLogger(const std::string& node, const std::string& file);

}  // namespace jupiter
