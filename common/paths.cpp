// The cluster folder; see paths.hpp.
#include "common/paths.hpp"

#include <cstdlib>

namespace jupiter {

std::filesystem::path resolveClusterDir(const std::string& option) {
    std::string dir = option;
    if (dir.empty()) {
        const char* env = std::getenv("JUPITER_DIR");
        dir = env && *env ? env : "jupiter-data";
    }
    std::error_code ec;
    auto abs = std::filesystem::absolute(dir, ec);
    return ec ? std::filesystem::path(dir) : abs.lexically_normal();
}

std::filesystem::path clusterConfigPath(const std::filesystem::path& dir) { return dir / "jupiter.toml"; }

}  // namespace jupiter
