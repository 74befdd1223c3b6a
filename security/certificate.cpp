// Certificates; see certificate.hpp. Reading and writing go through CZMQ (zconfig, zcert), the
// library that defines the format.
#include "security/certificate.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include <czmq.h>
#include <fmt/format.h>
#include <zmq.h>

#include "security/signature.hpp"

namespace jupiter {
namespace {

struct ConfigCloser {
    void operator()(zconfig_t* c) const { zconfig_destroy(&c); }
};
using ConfigPtr = std::unique_ptr<zconfig_t, ConfigCloser>;

struct CertCloser {
    void operator()(zcert_t* c) const { zcert_destroy(&c); }
};
using CertPtr = std::unique_ptr<zcert_t, CertCloser>;

Result<ConfigPtr> loadZpl(const std::filesystem::path& file, std::string_view what) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec))
        return makeError("keys", fmt::format("no {} at {} (`jupiter up` creates node keys; `jupiter client add` client "
                                             "keys)", what, file.string()));
    ConfigPtr cfg(zconfig_load(file.c_str()));
    if (!cfg) return makeError("keys", fmt::format("cannot read the {} {} (not a ZeroMQ certificate?)", what, file.string()));
    return cfg;
}

Result<std::string> keyField(zconfig_t* cfg, const char* path, const std::filesystem::path& file) {
    std::string key = zconfig_get(cfg, path, "");
    if (key.size() != kZ85KeyLength)
        return makeError("keys", fmt::format("{} has no valid {} (a ZeroMQ certificate holds 40 Z85 characters there)",
                                             file.string(), path));
    return key;
}

}  // namespace

std::filesystem::path publicCertificatePath(const std::filesystem::path& dir, const std::string& name) {
    return dir / (name + ".key");
}

std::filesystem::path secretCertificatePath(const std::filesystem::path& dir, const std::string& name) {
    return dir / (name + ".key_secret");
}

Result<PublicCertificate> loadPublicCertificate(const std::filesystem::path& file) {
    auto cfg = loadZpl(file, "public certificate");
    if (!cfg) return cfg.error();
    auto key = keyField(cfg->get(), "curve/public-key", file);
    if (!key) return key.error();
    PublicCertificate cert{std::move(*key), {}};
    if (zconfig_t* meta = zconfig_locate(cfg->get(), "metadata"))
        for (zconfig_t* item = zconfig_child(meta); item; item = zconfig_next(item))
            cert.meta[zconfig_name(item)] = zconfig_value(item) ? zconfig_value(item) : "";
    return cert;
}

Status checkSecretFileMode(const std::filesystem::path& file) {
    struct stat st {};
    if (stat(file.c_str(), &st) != 0)
        return makeError("keys", fmt::format("cannot read the secret key {}: {}", file.string(), std::strerror(errno)));
    if ((st.st_mode & 077) != 0)
        return makeError("keys", fmt::format("the secret key {} is readable by group or others (mode {:04o}); it must "
                                             "be private to its owner: run `chmod 600 {}`",
                                             file.string(), st.st_mode & 0777, file.string()));
    return Ok{};
}

Result<KeyPair> loadSecretCertificate(const std::filesystem::path& file) {
    std::error_code ec;
    if (std::filesystem::exists(file, ec))
        if (auto s = checkSecretFileMode(file); !s) return s.error();
    auto cfg = loadZpl(file, "secret key");
    if (!cfg) return cfg.error();
    auto pub = keyField(cfg->get(), "curve/public-key", file);
    if (!pub) return pub.error();
    auto sec = keyField(cfg->get(), "curve/secret-key", file);
    if (!sec) return sec.error();
    return KeyPair{std::move(*pub), std::move(*sec)};
}

Result<KeyPair> createCertificate(const std::filesystem::path& dir, const std::string& name,
                                  const std::map<std::string, std::string>& meta) {
    const auto pub = publicCertificatePath(dir, name);
    const auto sec = secretCertificatePath(dir, name);
    std::error_code ec;
    if (std::filesystem::exists(pub, ec) || std::filesystem::exists(sec, ec))
        return makeError("keys", fmt::format("a certificate named {} already exists in {}", name, dir.string()));
    std::filesystem::create_directories(dir, ec);
    if (ec) return makeError("keys", fmt::format("cannot create {}: {}", dir.string(), ec.message()));
    CertPtr cert(zcert_new());
    if (!cert) return makeError("keys", "cannot create a key pair (libsodium missing?)");
    for (const auto& [k, v] : meta) zcert_set_meta(cert.get(), k.c_str(), "%s", v.c_str());
    KeyPair pair{zcert_public_txt(cert.get()), zcert_secret_txt(cert.get())};
    // Its public signing key (see signature.hpp), so that anyone holding the public certificate
    // can check what the node signs.
    auto signing = signingPublicKeyOf(pair);
    if (!signing) return signing.error();
    zcert_set_meta(cert.get(), std::string(kSigningKeyMeta).c_str(), "%s", signing->c_str());
    // Both files are created private (0600), the public one too: like everything under DIR it is
    // its owner's, and it is handed to other hosts by copying it.
    const mode_t old = umask(077);
    const int rc = zcert_save(cert.get(), pub.c_str());
    umask(old);
    if (rc != 0) return makeError("keys", fmt::format("cannot write the certificate {}: {}", pub.string(), std::strerror(errno)));
    return pair;
}

Status checkCurveAvailable() {
    if (zmq_has("curve")) return Ok{};
    return makeError("security", "this libzmq was built without CURVE (libsodium); install Debian's libzmq5 (built "
                                 "with libsodium), or set [security] mode = \"none\" for a loopback-only cluster");
}

}  // namespace jupiter
