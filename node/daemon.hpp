// What every Jupiter daemon does before its event loop starts: parse the shared command line
// (--config, --dir, --node, --daemon, --log-level), find its node (of the daemon's role), load and validate the configuration, set up logging
// to stderr or to its log file, detach when asked (double fork, pidfile held under an flock so
// that a second copy refuses to start and a kill -9 leaves no stale lock), and block termination
// signals so the event loop sees them through a signalfd.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "common/config.hpp"
#include "security/credentials.hpp"
#include "common/metrics.hpp"

namespace jupiter {

struct DaemonContext {
    Config config;
    const NodeConfig* node = nullptr;
    std::shared_ptr<spdlog::logger> log;
    Credentials credentials;  // its key pair and its peers' public keys (loaded before it detaches)
    std::shared_ptr<Metrics> metrics;  // served at the node's `metrics` address when it has one
};

// A daemon's exit status, for systemd (Restart=on-failure restarts on any but kOk) and for
// `jupiter start`, which reports it.
enum ExitCode : int {
    kExitOk = 0,
    kExitFailed = 1,          // stopped on an error while serving (its log names it)
    kExitBadSetup = 2,        // the configuration, a key, a data or log folder, the metrics address
    kExitAlreadyRunning = 3,  // another process holds this node's pidfile
    kExitBadStore = 4,        // the node's RocksDB store cannot be opened (corrupt, locked, not ours)
};

// Runs a daemon's main for a node of `role`: --node NAME picks it (needed only when the
// configuration has several of that role). `body` runs the event loop and returns the process
// exit code. Returns the process exit code.
int runDaemon(int argc, char** argv, Role role, const std::function<int(DaemonContext&)>& body);

// A logger named after the node, printing UTC millisecond timestamps.
std::shared_ptr<spdlog::logger> makeLogger(const std::string& node, const std::string& file);

}  // namespace jupiter
