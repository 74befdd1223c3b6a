// The public keys a node accepts, and who each one is: every NAME.key in the keys folder. A name
// that is a node of the configuration takes that node's role (whatever the file says); any other
// certificate is a client, whose metadata must say role = reader, writer or admin. Revoking a
// client is removing its file; a running daemon notices (changed()) and reloads.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/config.hpp"
#include "security/identity.hpp"

namespace jupiter {

class KeyRegistry {
public:
    KeyRegistry() = default;
    // Reads every *.key in config.keysDir; certificates that cannot be used are skipped and
    // described in `warnings` (no key material in them). `afterListing` runs between the first look
    // at the folder and the reading of its files (a test's way to change the folder meanwhile).
    static KeyRegistry load(const Config& config, std::vector<std::string>& warnings,
                            const std::function<void()>& afterListing = {});

    // The identity with this Z85 public key, if registered.
    const Identity* find(std::string_view publicKey) const;
    // The public key registered under `name` (a node or a client), if any.
    const Identity* byName(std::string_view name) const;
    std::size_t size() const { return byKey_.size(); }
    const std::vector<Identity>& identities() const { return identities_; }

    // Whether the folder's *.key files differ (added, removed, rewritten) from when this was loaded.
    bool changed(const Config& config) const;

private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::vector<Identity> identities_;
    std::unordered_map<std::string, std::size_t, Hash, std::equal_to<>> byKey_;
    std::string fingerprint_;
};

// The folder's listing of *.key files with sizes and modification times (the change detector).
std::string keyFolderFingerprint(const std::filesystem::path& dir);

}  // namespace jupiter
