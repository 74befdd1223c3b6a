// etcd's authentication for Jupiter; see etcd_lock.hpp.
#include "election/etcd_lock.hpp"

#include <fstream>

#include <fmt/format.h>

namespace jupiter {
namespace {

Result<std::string> readSecret(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::string line;
    if (!in || !std::getline(in, line) || line.empty())
        return makeError("etcd", fmt::format("cannot read the etcd password in {} (`jupiter up` makes it for local "
                                             "members; for an external etcd copy it there, 0600)", path.string()));
    return line;
}

Result<EtcdCredentials> tlsOnly(const EtcdConfig& etcd) {
    EtcdCredentials c;
    if (!etcd.tls()) return c;
    std::error_code ec;
    for (const auto* f : {&etcd.caFile, &etcd.certFile, &etcd.keyFile})
        if (!std::filesystem::exists(*f, ec))
            return makeError("etcd", fmt::format("{} is missing: etcd is reached over TLS with a client certificate "
                                                 "(`jupiter up` or `jupiter keys` make them for local members; for an "
                                                 "external etcd copy its CA and a client certificate there)",
                                                 f->string()));
    c.caFile = etcd.caFile.string();
    c.certFile = etcd.certFile.string();
    c.keyFile = etcd.keyFile.string();
    return c;
}

// Ok, or the error unless it says the thing already exists (a step done by an earlier run).
Status done(const Result<Doc>& r) {
    if (r || r.error().message.find("already") != std::string::npos) return Ok{};
    return r.error();
}

}  // namespace

Result<EtcdCredentials> etcdCredentials(const EtcdConfig& etcd) {
    auto c = tlsOnly(etcd);
    if (!c || etcd.user.empty() || !etcd.tls()) return c;  // no password over plain http
    auto password = readSecret(etcd.passwordFile);
    if (!password) return password.error();
    c->user = etcd.user;
    c->password = std::move(*password);
    return c;
}

Result<EtcdCredentials> etcdRootCredentials(const EtcdConfig& etcd, const std::filesystem::path& rootPasswordFile) {
    auto c = tlsOnly(etcd);
    if (!c) return c;
    auto password = readSecret(rootPasswordFile);
    if (!password) return password.error();
    c->user = "root";
    c->password = std::move(*password);
    return c;
}

std::string etcdKeyPrefix(const std::string& key) {
    const auto slash = key.rfind('/');
    return slash == std::string::npos ? key : key.substr(0, slash + 1);
}

Status lockEtcd(const EtcdConfig& etcd, const std::filesystem::path& rootPasswordFile, Millis timeout) {
    if (etcd.user.empty()) return Ok{};
    auto root = etcdRootCredentials(etcd, rootPasswordFile);
    if (!root) return root.error();
    auto user = etcdCredentials(etcd);
    if (!user) return user.error();
    // As root: before authentication is on, etcd takes these without a token; after, with root's.
    EtcdClient c(etcd.endpoints, timeout, *root);
    const std::string prefix = etcdKeyPrefix(etcd.key);
    std::string end = prefix;
    end.back() = static_cast<char>(end.back() + 1);  // the range of every key that starts with prefix
    const Result<Doc> steps[] = {
        c.call("/v3/auth/user/add", {{"name", "root"}, {"password", root->password}}),
        c.call("/v3/auth/role/add", {{"name", "root"}}),
        c.call("/v3/auth/user/grant", {{"user", "root"}, {"role", "root"}}),
        c.call("/v3/auth/role/add", {{"name", etcd.user}}),
        c.call("/v3/auth/role/grant", {{"name", etcd.user},
                                       {"perm", {{"permType", "READWRITE"}, {"key", base64Encode(prefix)},
                                                 {"range_end", base64Encode(end)}}}}),
        c.call("/v3/auth/user/add", {{"name", etcd.user}, {"password", user->password}}),
        c.call("/v3/auth/user/grant", {{"user", etcd.user}, {"role", etcd.user}}),
        c.call("/v3/auth/enable", Doc::object()),
    };
    for (const auto& r : steps)
        if (auto s = done(r); !s)
            return makeError("etcd", fmt::format("cannot turn on etcd's authentication: {}", s.error().message));
    return Ok{};
}

}  // namespace jupiter
