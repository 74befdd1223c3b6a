// The cluster's keys folder as the CLI manages it: `jupiter up` creates any missing node key and
// the admin client key; `jupiter client add|list|revoke` manage client keys. Running daemons pick
// changes up by themselves (they watch the folder), so nothing is restarted.
#pragma once

#include <string>

#include "common/config.hpp"
#include "common/result.hpp"

namespace jupiter::cli {

// Creates NODE.key/NODE.key_secret for every node that has neither, and admin.key/_secret, in
// config.keysDir (mode none: nothing). A node whose public key is there without its secret is
// left alone: its secret lives on its own host.
Status ensureClusterKeys(const Config& config);

int runClientAdd(const std::string& dir, const std::string& name, const std::string& role);
int runClientList(const std::string& dir, bool json);
int runClientRevoke(const std::string& dir, const std::string& name);

}  // namespace jupiter::cli
