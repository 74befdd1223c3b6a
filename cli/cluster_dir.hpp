// The folder a CLI invocation works on: the cluster configuration inside it, and the small state
// the CLI keeps there between invocations.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "common/config.hpp"
#include "security/credentials.hpp"
#include "common/paths.hpp"
#include "common/result.hpp"

namespace jupiter::cli {

// The folder itself is found by resolveClusterDir (common/paths.hpp), the one rule every tool uses.

// Loads DIR/jupiter.toml. The error (code "config") names the file and, when it is missing, says
// how to create it.
Result<Config> openCluster(const std::filesystem::path& dir);

// The key this invocation proves (--key FILE; empty: $JUPITER_KEY, else the cluster's admin key).
void setClientKeyFile(std::string file);
// That key and the cluster's node keys (mode none: nothing). The error names the file and what to do.
Result<Credentials> clientCredentials(const Config& config);

// The sequence of this folder's last successful `jupiter send` (DIR/run/cli-last-seq), so a query
// in the same script waits for a replica that has seen it; nullopt when there is none.
std::optional<uint64_t> readLastSeq(const Config& config);
// Records it; a failure only costs read-your-own-writes, so it is reported as false, not thrown.
bool writeLastSeq(const Config& config, uint64_t seq);

// Writes `text` to `path` through a temporary file and a rename, so a reader never sees half a file.
Status writeFileAtomically(const std::filesystem::path& path, const std::string& text);

}  // namespace jupiter::cli
