// etcd's authentication, turned on for Jupiter: a user (`jupiter`) whose role may read and write
// only the leader key's prefix (e.g. jupiter/), and the `root` user etcd needs before it enables
// authentication (the operator's: its password is in the keys folder, 0600). Run by `jupiter up`
// on the local members once they answer, and by `jupiter etcd-lock` for an external etcd. Each
// step is idempotent, so a run cut short is finished by the next. Also: the credentials a node
// or the CLI reads from the configuration to reach a locked etcd.
#pragma once

#include <string>

#include "common/config.hpp"
#include "common/result.hpp"
#include "election/etcd_client.hpp"

namespace jupiter {

// The TLS files and the user's password the configuration names ([etcd] ca_file, cert_file,
// key_file, user, password_file); an error names a missing or unreadable file and who makes it.
Result<EtcdCredentials> etcdCredentials(const EtcdConfig& etcd);

// The same files, as etcd's root user (password: `rootPasswordFile`).
Result<EtcdCredentials> etcdRootCredentials(const EtcdConfig& etcd, const std::filesystem::path& rootPasswordFile);

// The prefix the user's role may touch: the leader key up to and including its last '/' (the key
// itself when it has none).
std::string etcdKeyPrefix(const std::string& key);

// Creates root and the configured user with their role, and enables authentication.
Status lockEtcd(const EtcdConfig& etcd, const std::filesystem::path& rootPasswordFile, Millis timeout);

}  // namespace jupiter
