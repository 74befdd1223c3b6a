// The CLI's working folder and configuration; see cluster_dir.hpp.
#include "cli/cluster_dir.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace jupiter::cli {
namespace {

std::filesystem::path lastSeqPath(const Config& config) { return config.dir / "run" / "cli-last-seq"; }

}  // namespace

namespace {
std::string& clientKeyFile() {
    static std::string file;
    return file;
}
}  // namespace

void setClientKeyFile(std::string file) { clientKeyFile() = std::move(file); }

Result<Credentials> clientCredentials(const Config& config) { return Credentials::forClient(config, clientKeyFile()); }

Result<Config> openCluster(const std::filesystem::path& dir) {
    const auto file = clusterConfigPath(dir);
    std::error_code ec;
    if (!std::filesystem::exists(file, ec))
        return makeError("config", fmt::format("no cluster configuration at {}; start a cluster there with "
                                               "`jupiter up --dir {}` (or pass the right --dir / $JUPITER_DIR)",
                                               file.string(), dir.string()));
    return loadConfig(file);
}

std::optional<uint64_t> readLastSeq(const Config& config) {
    std::ifstream in(lastSeqPath(config));
    uint64_t seq = 0;
    if (!(in >> seq)) return std::nullopt;
    return seq;
}

bool writeLastSeq(const Config& config, uint64_t seq) {
    return writeFileAtomically(lastSeqPath(config), fmt::format("{}\n", seq)).ok();
}

Status writeFileAtomically(const std::filesystem::path& path, const std::string& text) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) return makeError("io", fmt::format("cannot create {}: {}", path.parent_path().string(), ec.message()));
    // The pid in the name keeps two CLIs writing at once from sharing a temporary file.
    const auto tmp = std::filesystem::path(fmt::format("{}.tmp{}", path.string(), getpid()));
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << text;
        out.flush();
        if (!out) return makeError("io", fmt::format("cannot write {} (check the folder's permissions)", tmp.string()));
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        const std::string why = ec.message();
        std::filesystem::remove(tmp, ec);
        return makeError("io", fmt::format("cannot write {}: {}", path.string(), why));
    }
    return Ok{};
}

}  // namespace jupiter::cli
