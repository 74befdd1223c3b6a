// Where a cluster lives: the one rule every Jupiter tool (CLI, daemons, bench, chaos) uses to find
// its cluster folder and the configuration inside it.
#pragma once

#include <filesystem>
#include <string>

namespace jupiter {

// `option` if given, else $JUPITER_DIR if set and non-empty, else ./jupiter-data; made absolute
// and normal so that pidfiles and logs do not depend on where a tool was started from.
std::filesystem::path resolveClusterDir(const std::string& option);

// DIR/jupiter.toml.
std::filesystem::path clusterConfigPath(const std::filesystem::path& dir);

}  // namespace jupiter
