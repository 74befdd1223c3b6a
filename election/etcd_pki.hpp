// The files that lock the local etcd `jupiter up` runs (OpenSSL): a private certificate authority,
// one certificate the members present to clients and to each other, one client certificate that
// Jupiter's nodes and CLI present to etcd, and the passwords of etcd's `root` and `jupiter` users.
// All live in the keys folder's etcd/ (0700), 0600, made once and kept; a member certificate that does not name
// every host the members listen on (the configuration changed) is made again under the same CA.
// etcd's JSON gateway refuses client certificates with a Common Name (it cannot map one to a user,
// etcd PR 10366), so the client certificate has none: it proves "signed by this cluster's CA",
// and the password proves which etcd user is asking.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "common/result.hpp"

namespace jupiter {

struct EtcdFiles {
    std::filesystem::path ca, caKey;          // the private CA (the key signs nothing after setup)
    std::filesystem::path member, memberKey;  // the members' server and peer certificate
    std::filesystem::path client, clientKey;  // what Jupiter presents to etcd
    std::filesystem::path rootPassword, jupiterPassword;
};

// Where they are (or will be) under `keysDir`: etcd/ca.crt, etcd/client.key, etcd/jupiter.password, ...
EtcdFiles etcdFilesIn(const std::filesystem::path& keysDir);

// Creates the missing ones; `hosts`: the IP addresses or names the members listen on (their
// certificate names each, and 127.0.0.1 and localhost).
Status ensureEtcdFiles(const std::filesystem::path& keysDir, const std::vector<std::string>& hosts);

// For a configuration whose etcd is reached over TLS with the files in its keys folder (the
// defaults): makes the missing ones, naming every host its endpoints and peer URLs listen on.
// Nothing for other configurations (no etcd, plain http, or files the operator placed elsewhere).
Status ensureEtcdFiles(const Config& config);

// Whether the certificate at `path` names `host` (an IP address or a DNS name).
bool certificateNames(const std::filesystem::path& path, const std::string& host);

// The host of an URL such as https://10.201.7.200:2379 (brackets of IPv6 literals removed).
std::string hostOfUrl(const std::string& url);

}  // namespace jupiter
