// The daemons of one cluster seen from outside: which are running (told by their pidfile's lock,
// never by a pid number alone), starting one detached, and waiting for one to exit.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/config.hpp"
#include "common/result.hpp"

namespace jupiter::cli {

// The pid of the live process holding `pidFile`'s flock, or nullopt when none does (never started,
// stopped, or killed: the lock dies with its process while a stale pid number would not, so a pid
// found this way is safe to signal). A locked file whose pid cannot be read yields 0.
std::optional<pid_t> lockedPid(const std::filesystem::path& pidFile);

// The folder of the running executable, where the daemons are installed beside it.
std::filesystem::path binDir();

// The daemon executable for a role (jupiter-query), and its arguments for one node
// (jupiter-query --config FILE --daemon --node query-2).
std::string daemonBinary(Role role);
std::vector<std::string> daemonArgs(const NodeConfig& node, const std::filesystem::path& configFile);

// Runs the node's daemon with --daemon and waits (up to `timeout`) for the launching process to
// exit, which it does once the daemon has detached. Errors name the binary and its exit status;
// the daemon's own complaints went to our stderr (before detaching) or to its log file (after).
Status spawnDaemon(const std::filesystem::path& binaryDir, const NodeConfig& node,
                   const std::filesystem::path& configFile, Millis timeout);

// Waits until `pid` has exited or released `pidFile`'s lock (an unreaped zombie still answers
// kill(pid, 0)), up to `timeout`. Returns whether it is gone.
bool waitForExit(pid_t pid, const std::filesystem::path& pidFile, Millis timeout);

// The last `n` lines of a text file ("" if it cannot be read), for start-up failures.
std::string tailFile(const std::filesystem::path& file, std::size_t n);

// "KILL", "sigterm", "STOP"... -> the signal number; nullopt for anything else.
std::optional<int> parseSignal(std::string_view name);

}  // namespace jupiter::cli
