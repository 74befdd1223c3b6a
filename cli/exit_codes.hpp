// The exit codes every `jupiter` subcommand uses, so scripts can tell a refused request from a
// typo from a cluster that is not running, and the form of the error line they print.
#pragma once

#include <cstdio>
#include <string>

#include <fmt/format.h>

namespace jupiter::cli {

// An error on stderr as every subcommand writes it: "jupiter: <message>".
inline void printError(const std::string& message) { fmt::print(stderr, "jupiter: {}\n", message); }

enum ExitCode : int {
    kExitOk = 0,           // the request succeeded
    kExitFailed = 1,       // the cluster answered no (rejected command, failed query, node would not start)
    kExitUsage = 2,        // bad arguments or configuration: nothing was sent
    kExitUnreachable = 3,  // no answer from the cluster's endpoint
    kExitRefused = 4,      // the cluster refused this client's key (unknown or revoked): see `jupiter client add`
};

}  // namespace jupiter::cli
