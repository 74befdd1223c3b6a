// The local etcd's certificates and passwords; see etcd_pki.hpp.
#include "election/etcd_pki.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>

namespace jupiter {
namespace {

constexpr long kValidDays = 3650;  // a private CA of one cluster: rotated by deleting the files

struct PkeyFree { void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); } };
struct X509Free { void operator()(X509* x) const { X509_free(x); } };
struct BioFree { void operator()(BIO* b) const { BIO_free(b); } };
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;
using Bio = std::unique_ptr<BIO, BioFree>;

Error opensslError(const std::string& what) {
    char buf[256] = "unknown error";
    if (const unsigned long e = ERR_get_error()) ERR_error_string_n(e, buf, sizeof buf);
    return makeError("etcd", fmt::format("{}: {}", what, buf));
}

// Writes `text` to `path` as a new 0600 file (a temporary one renamed over it).
Status writePrivate(const std::filesystem::path& path, const std::string& text) {
    const auto tmp = path.string() + ".tmp";
    const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return makeError("etcd", fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
    const bool ok = fchmod(fd, 0600) == 0 && write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                    fsync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
        unlink(tmp.c_str());
        return makeError("etcd", fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
    }
    return Ok{};
}

template <class Write>
Result<std::string> pem(Write write) {
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio || write(bio.get()) != 1) return opensslError("cannot encode a PEM block");
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

Status savePair(const std::filesystem::path& certPath, const std::filesystem::path& keyPath, X509* cert,
                EVP_PKEY* key) {
    auto k = pem([&](BIO* b) { return PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); });
    if (!k) return k.error();
    auto c = pem([&](BIO* b) { return PEM_write_bio_X509(b, cert); });
    if (!c) return c.error();
    if (auto s = writePrivate(keyPath, *k); !s) return s;
    return writePrivate(certPath, *c);
}

Result<Cert> loadCert(const std::filesystem::path& path) {
    Bio bio(BIO_new_file(path.c_str(), "r"));
    if (!bio) return opensslError(fmt::format("cannot read {}", path.string()));
    Cert c(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!c) return opensslError(fmt::format("{} is not a PEM certificate", path.string()));
    return c;
}

Result<Pkey> loadKey(const std::filesystem::path& path) {
    Bio bio(BIO_new_file(path.c_str(), "r"));
    if (!bio) return opensslError(fmt::format("cannot read {}", path.string()));
    Pkey k(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!k) return opensslError(fmt::format("{} is not a PEM private key", path.string()));
    return k;
}

bool addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (!ext) return false;
    const bool ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

// A certificate for `key`, signed by `issuerKey` (self-signed when `issuer` is null).
Result<Cert> makeCert(EVP_PKEY* key, const std::string& commonName, X509* issuer, EVP_PKEY* issuerKey,
                      const std::vector<std::pair<int, std::string>>& extensions) {
    Cert cert(X509_new());
    if (!cert) return opensslError("cannot make a certificate");
    X509_set_version(cert.get(), 2);
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1) return opensslError("no random serial number");
    serial[0] &= 0x7f;  // positive
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    const bool serialOk = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
    BN_free(bn);
    if (!serialOk) return opensslError("cannot set a serial number");
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValidDays * 24 * 3600);
    X509_set_pubkey(cert.get(), key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Jupiter"), -1, -1, 0);
    if (!commonName.empty())
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(commonName.c_str()),
                                   -1, -1, 0);
    X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
    for (const auto& [nid, value] : extensions)
        if (!addExtension(cert.get(), issuer ? issuer : cert.get(), nid, value))
            return opensslError(fmt::format("cannot add the certificate extension {}", value));
    if (X509_sign(cert.get(), issuerKey ? issuerKey : key, EVP_sha256()) == 0) return opensslError("cannot sign");
    return cert;
}

Result<Pkey> newKey() {
    Pkey k(EVP_EC_gen("P-256"));
    if (!k) return opensslError("cannot make an EC key");
    return k;
}

bool isIpAddress(const std::string& host) {
    ASN1_OCTET_STRING* ip = a2i_IPADDRESS(host.c_str());
    ASN1_OCTET_STRING_free(ip);
    return ip != nullptr;
}

Status ensurePassword(const std::filesystem::path& path) {
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) return Ok{};
    unsigned char raw[24];
    randombytes_buf(raw, sizeof raw);
    char hex[2 * sizeof raw + 1];
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
    const Status s = writePrivate(path, std::string(hex) + "\n");
    sodium_memzero(hex, sizeof hex);
    return s;
}

}  // namespace

EtcdFiles etcdFilesIn(const std::filesystem::path& keysDir) {
    const auto d = keysDir / "etcd";
    return {d / "ca.crt",     d / "ca.key",     d / "member.crt",    d / "member.key",
            d / "client.crt", d / "client.key", d / "root.password", d / "jupiter.password"};
}

std::string hostOfUrl(const std::string& url) {
    std::string rest = url.substr(url.find("://") == std::string::npos ? 0 : url.find("://") + 3);
    rest = rest.substr(0, rest.find('/'));
    if (rest.starts_with('[')) return rest.substr(1, rest.find(']') - 1);
    return rest.substr(0, rest.rfind(':'));
}

bool certificateNames(const std::filesystem::path& path, const std::string& host) {
    auto cert = loadCert(path);
    if (!cert) return false;
    if (isIpAddress(host)) return X509_check_ip_asc(cert->get(), host.c_str(), 0) == 1;
    return X509_check_host(cert->get(), host.c_str(), host.size(), 0, nullptr) == 1;
}

Status ensureEtcdFiles(const std::filesystem::path& keysDir, const std::vector<std::string>& hosts) {
    std::error_code ec;
    const EtcdFiles f = etcdFilesIn(keysDir);
    std::filesystem::create_directories(f.ca.parent_path(), ec);
    std::filesystem::permissions(f.ca.parent_path(), std::filesystem::perms::owner_all, ec);
    auto exists = [&](const std::filesystem::path& p) { return std::filesystem::exists(p, ec); };

    // The CA: made once. Without it nothing else can be made again, so a half-written one is redone whole.
    if (!exists(f.ca) || !exists(f.caKey)) {
        auto key = newKey();
        if (!key) return key.error();
        auto ca = makeCert(key->get(), "Jupiter etcd CA", nullptr, nullptr,
                           {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                            {NID_key_usage, "critical,keyCertSign,cRLSign"},
                            {NID_subject_key_identifier, "hash"}});
        if (!ca) return ca.error();
        if (auto s = savePair(f.ca, f.caKey, ca->get(), key->get()); !s) return s;
        std::filesystem::remove(f.member, ec);  // signed by the old CA, if any
        std::filesystem::remove(f.client, ec);
    }
    auto ca = loadCert(f.ca);
    if (!ca) return ca.error();
    auto caKey = loadKey(f.caKey);
    if (!caKey) return caKey.error();

    std::vector<std::string> names = {"127.0.0.1", "localhost"};
    for (const auto& h : hosts)
        if (!h.empty() && std::find(names.begin(), names.end(), h) == names.end()) names.push_back(h);
    const bool memberOk = exists(f.member) && exists(f.memberKey) &&
                          std::all_of(names.begin(), names.end(), [&](const auto& h) { return certificateNames(f.member, h); });
    if (!memberOk) {
        std::string san;
        for (const auto& h : names) san += fmt::format("{}{}:{}", san.empty() ? "" : ",", isIpAddress(h) ? "IP" : "DNS", h);
        auto key = newKey();
        if (!key) return key.error();
        // Server to clients, and both server and client to the other members.
        auto cert = makeCert(key->get(), "etcd member", ca->get(), caKey->get(),
                             {{NID_basic_constraints, "critical,CA:FALSE"},
                              {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                              {NID_ext_key_usage, "serverAuth,clientAuth"},
                              {NID_subject_alt_name, san},
                              {NID_authority_key_identifier, "keyid"}});
        if (!cert) return cert.error();
        if (auto s = savePair(f.member, f.memberKey, cert->get(), key->get()); !s) return s;
    }
    if (!exists(f.client) || !exists(f.clientKey)) {
        auto key = newKey();
        if (!key) return key.error();
        auto cert = makeCert(key->get(), "", ca->get(), caKey->get(),
                             {{NID_basic_constraints, "critical,CA:FALSE"},
                              {NID_key_usage, "critical,digitalSignature"},
                              {NID_ext_key_usage, "clientAuth"},
                              {NID_authority_key_identifier, "keyid"}});
        if (!cert) return cert.error();
        if (auto s = savePair(f.client, f.clientKey, cert->get(), key->get()); !s) return s;
    }
    if (auto s = ensurePassword(f.rootPassword); !s) return s;
    return ensurePassword(f.jupiterPassword);
}

Status ensureEtcdFiles(const Config& config) {
    if (!config.etcd.tls() || config.etcd.caFile != etcdFilesIn(config.keysDir).ca) return Ok{};
    std::vector<std::string> hosts;
    for (const auto* urls : {&config.etcd.endpoints, &config.etcd.peerUrls})
        for (const auto& u : *urls) hosts.push_back(hostOfUrl(u));
    return ensureEtcdFiles(config.keysDir, hosts);
}

}  // namespace jupiter
