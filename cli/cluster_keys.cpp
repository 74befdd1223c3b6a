// Keys folder management; see cluster_keys.hpp.
#include "cli/cluster_keys.hpp"

#include <fmt/format.h>

#include "cli/cluster_dir.hpp"
#include "cli/exit_codes.hpp"
#include "cli/table.hpp"
#include "security/certificate.hpp"
#include "security/identity.hpp"
#include "security/key_registry.hpp"
#include "election/etcd_pki.hpp"

namespace jupiter::cli {
namespace {

constexpr std::string_view kAdminKey = "admin";

// Prints `message` and returns `code`.
int fail(const std::string& message, int code) {
    fmt::print(stderr, "jupiter: {}\n", message);
    return code;
}

bool hasCertificate(const Config& config, const std::string& name) {
    std::error_code ec;
    return std::filesystem::exists(publicCertificatePath(config.keysDir, name), ec) ||
           std::filesystem::exists(secretCertificatePath(config.keysDir, name), ec);
}

// A client name must be a plain file name and not a node's.
Status checkClientName(const Config& config, const std::string& name) {
    const bool plain = !name.empty() && name.size() <= 64 &&
                       name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") ==
                           std::string::npos && name.front() != '.';
    if (!plain) return makeError("usage", fmt::format("'{}' is not a usable client name (letters, digits, - _ .)", name));
    if (config.node(name))
        return makeError("usage", fmt::format("{} is a node of the cluster; choose another name for a client", name));
    return Ok{};
}

Result<Config> openSecured(const std::string& dirOption) {
    auto cfg = openCluster(resolveClusterDir(dirOption));
    if (!cfg) return cfg.error();
    if (cfg->security == SecurityMode::None)
        return makeError("usage", fmt::format("{} has [security] mode = \"none\": there are no keys to manage",
                                              cfg->source.string()));
    return cfg;
}

}  // namespace

Status ensureClusterKeys(const Config& config) {
    if (config.security == SecurityMode::None) return Ok{};
    if (auto s = checkCurveAvailable(); !s) return s;
    for (const auto& n : config.nodes) {
        if (hasCertificate(config, n.name)) continue;
        auto made = createCertificate(config.keysDir, n.name, {{"name", n.name}, {"role", std::string(roleName(n.role))}});
        if (!made) return made.error();
    }
    const std::string admin(kAdminKey);
    if (!hasCertificate(config, admin)) {
        auto made = createCertificate(config.keysDir, admin, {{"name", admin}, {"role", "admin"}});
        if (!made) return made.error();
    }
    return ensureEtcdFiles(config);  // etcd's CA, certificates and passwords (keys/etcd/)
}

int runClientAdd(const std::string& dir, const std::string& name, const std::string& role) {
    auto cfg = openSecured(dir);
    if (!cfg) return fail(cfg.error().message, kExitUsage);
    if (auto s = checkClientName(*cfg, name); !s) return fail(s.error().message, kExitUsage);
    if (!parseClientRole(role)) return fail(fmt::format("--role {}: accepted roles are reader, writer, admin", role), kExitUsage);
    auto made = createCertificate(cfg->keysDir, name, {{"name", name}, {"role", role}});
    if (!made) return fail(made.error().message, kExitFailed);
    fmt::print("registered {} as {}: {} (public; running nodes accept it within a second)\n"
               "its secret key is {} (mode 0600): hand it to the client, who uses it with --key or $JUPITER_KEY\n",
               name, role, publicCertificatePath(cfg->keysDir, name).string(),
               secretCertificatePath(cfg->keysDir, name).string());
    return kExitOk;
}

int runClientList(const std::string& dir, bool json) {
    auto cfg = openSecured(dir);
    if (!cfg) return fail(cfg.error().message, kExitUsage);
    std::vector<std::string> warnings;
    const auto reg = KeyRegistry::load(*cfg, warnings);
    Doc rows = Doc::array();
    for (const auto& id : reg.identities()) {
        if (cfg->node(id.name)) continue;
        rows.push_back({{"client", id.name}, {"role", peerRoleName(id.role)}, {"public key", id.publicKey}});
    }
    if (json)
        fmt::print("{}\n", rows.dump(2));
    else
        fmt::print("{}", renderTable(rows, {"client", "role", "public key"}));
    for (const auto& w : warnings) fmt::print(stderr, "jupiter: {}\n", w);
    return kExitOk;
}

int runClientRevoke(const std::string& dir, const std::string& name) {
    auto cfg = openSecured(dir);
    if (!cfg) return fail(cfg.error().message, kExitUsage);
    if (auto s = checkClientName(*cfg, name); !s) return fail(s.error().message, kExitUsage);
    const auto pub = publicCertificatePath(cfg->keysDir, name);
    std::error_code ec;
    if (!std::filesystem::exists(pub, ec))
        return fail(fmt::format("no client {} in {} (`jupiter client list` shows them)", name,
                                      cfg->keysDir.string()), kExitFailed);
    // Kept aside rather than deleted, as a record; nothing reads the revoked folder.
    const auto revoked = cfg->keysDir / "revoked";
    std::filesystem::create_directories(revoked, ec);
    std::filesystem::rename(pub, revoked / pub.filename(), ec);
    if (ec) return fail(fmt::format("cannot move {} aside: {}", pub.string(), ec.message()), kExitFailed);
    const auto sec = secretCertificatePath(cfg->keysDir, name);
    if (std::filesystem::exists(sec, ec)) std::filesystem::rename(sec, revoked / sec.filename(), ec);
    fmt::print("revoked {}: running nodes refuse its key within a second, on open connections too\n", name);
    return kExitOk;
}

}  // namespace jupiter::cli
