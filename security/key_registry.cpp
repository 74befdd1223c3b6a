// The key registry; see key_registry.hpp.
#include "security/key_registry.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "security/certificate.hpp"
#include "security/signature.hpp"

namespace jupiter {
namespace {

// Never a folder's fingerprint (those are empty or end in a newline).
constexpr std::string_view kChangedWhileRead = "changed while read";

}  // namespace

std::string keyFolderFingerprint(const std::filesystem::path& dir) {
    std::vector<std::string> entries;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->path().extension() != ".key") continue;
        std::error_code e2;
        const auto size = it->file_size(e2);
        const auto mtime = it->last_write_time(e2).time_since_epoch().count();
        entries.push_back(fmt::format("{}:{}:{}", it->path().filename().string(), size, mtime));
    }
    std::sort(entries.begin(), entries.end());
    std::string out;
    for (const auto& e : entries) out += e + "\n";
    return out;
}

KeyRegistry KeyRegistry::load(const Config& config, std::vector<std::string>& warnings,
                              const std::function<void()>& afterListing) {
    KeyRegistry reg;
    const std::string before = keyFolderFingerprint(config.keysDir);
    if (afterListing) afterListing();
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(config.keysDir, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().extension() == ".key") files.push_back(it->path());
    if (ec) warnings.push_back(fmt::format("cannot list the keys folder {}: {}", config.keysDir.string(), ec.message()));
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
        auto cert = loadPublicCertificate(file);
        if (!cert) {
            warnings.push_back(cert.error().message);
            continue;
        }
        Identity id{file.stem().string(), PeerRole::Reader, cert->publicKey, {}};
        if (auto sk = cert->meta.find(std::string(kSigningKeyMeta)); sk != cert->meta.end()) id.signingKey = sk->second;
        if (const NodeConfig* node = config.node(id.name)) {
            id.role = peerRoleOf(node->role);
        } else {
            auto it = cert->meta.find("role");
            auto role = it == cert->meta.end() ? std::nullopt : parseClientRole(it->second);
            if (!role) {
                warnings.push_back(fmt::format("{} is not a node of the configuration and its metadata has no role = "
                                               "reader, writer or admin: ignored (re-create it with `jupiter client "
                                               "add {} --role ROLE`)", file.string(), id.name));
                continue;
            }
            id.role = *role;
        }
        if (reg.byKey_.count(id.publicKey)) {
            warnings.push_back(fmt::format("{} repeats the public key of {}: ignored", file.string(),
                                           reg.identities_[reg.byKey_.find(id.publicKey)->second].name));
            continue;
        }
        reg.byKey_.emplace(id.publicKey, reg.identities_.size());
        reg.identities_.push_back(std::move(id));
    }
    // The folder as it was when the reading began, unless it changed while it was read: then what was
    // read may hold a file the first listing lacked (a key added meanwhile), and a later removal of
    // that file would bring the folder back to `before` unnoticed - a revoked key accepted for good.
    // The next check reads it again instead.
    reg.fingerprint_ = keyFolderFingerprint(config.keysDir) == before ? before : std::string(kChangedWhileRead);
    return reg;
}

const Identity* KeyRegistry::find(std::string_view publicKey) const {
    auto it = byKey_.find(publicKey);
    return it == byKey_.end() ? nullptr : &identities_[it->second];
}

const Identity* KeyRegistry::byName(std::string_view name) const {
    for (const auto& id : identities_)
        if (id.name == name) return &id;
    return nullptr;
}

bool KeyRegistry::changed(const Config& config) const { return keyFolderFingerprint(config.keysDir) != fingerprint_; }

}  // namespace jupiter
