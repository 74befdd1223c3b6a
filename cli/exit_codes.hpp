// The exit codes every `jupiter` subcommand uses, so scripts can tell a refused request from a
// typo from a cluster that is not running.
#pragma once

namespace jupiter::cli {

enum ExitCode : int {
    kExitOk = 0,           // the request succeeded
    kExitFailed = 1,       // the cluster answered no (rejected command, failed query, node would not start)
    kExitUsage = 2,        // bad arguments or configuration: nothing was sent
    kExitUnreachable = 3,  // no answer from the cluster's endpoint
    kExitRefused = 4,      // the cluster refused this client's key (unknown or revoked): see `jupiter client add`
};

}  // namespace jupiter::cli
