// Certificates on disk in CZMQ's zcert format: created with a private secret file, read back,
// refused when others can read the secret, and usable by libzmq as CURVE keys.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <czmq.h>

#include "security/certificate.hpp"
#include "tests/temp_dir.hpp"
#include "tests/text.hpp"

using namespace jupiter;
using jupiter::testing::TempDir;
using jupiter::testing::slurp;

namespace {

mode_t modeOf(const std::filesystem::path& p) {
    struct stat st {};
    REQUIRE(stat(p.c_str(), &st) == 0);
    return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("certificate: both files created 0600 - read back with its metadata") {
    TempDir dir("cert-test");
    auto made = createCertificate(dir.path, "query-1", {{"name", "query-1"}, {"role", "query"}});
    REQUIRE(made.ok());
    CHECK(made->publicKey.size() == kZ85KeyLength);
    CHECK(made->secretKey.size() == kZ85KeyLength);
    CHECK(modeOf(secretCertificatePath(dir.path, "query-1")) == 0600);
    CHECK(modeOf(publicCertificatePath(dir.path, "query-1")) == 0600);

    auto pub = loadPublicCertificate(publicCertificatePath(dir.path, "query-1"));
    REQUIRE(pub.ok());
    CHECK(pub->publicKey == made->publicKey);
    CHECK(pub->meta.at("role") == "query");
    // The public file holds no secret.
    CHECK(slurp(publicCertificatePath(dir.path, "query-1")).find(made->secretKey) == std::string::npos);

    auto sec = loadSecretCertificate(secretCertificatePath(dir.path, "query-1"));
    REQUIRE(sec.ok());
    CHECK(sec->publicKey == made->publicKey);
    CHECK(sec->secretKey == made->secretKey);

    // CZMQ itself reads what we wrote (the format is its own).
    zcert_t* cert = zcert_load(publicCertificatePath(dir.path, "query-1").c_str());
    REQUIRE(cert != nullptr);
    CHECK(std::string(zcert_public_txt(cert)) == made->publicKey);
    zcert_destroy(&cert);

    auto again = createCertificate(dir.path, "query-1", {});
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().message.find("already exists") != std::string::npos);
}

TEST_CASE("certificate: a secret file others can read is refused - naming it and chmod 600 - without its content") {
    TempDir dir("cert-test");
    auto made = createCertificate(dir.path, "admin", {{"role", "admin"}});
    REQUIRE(made.ok());
    const auto secret = secretCertificatePath(dir.path, "admin");
    for (mode_t mode : {0644u, 0640u, 0604u}) {
        REQUIRE(chmod(secret.c_str(), mode) == 0);
        auto r = loadSecretCertificate(secret);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find(secret.string()) != std::string::npos);
        CHECK(r.error().message.find("chmod 600") != std::string::npos);
        CHECK(r.error().message.find(made->secretKey) == std::string::npos);
    }
    REQUIRE(chmod(secret.c_str(), 0400) == 0);
    CHECK(loadSecretCertificate(secret).ok());
}

TEST_CASE("certificate: missing and malformed files are explained") {
    TempDir dir("cert-test");
    auto missing = loadPublicCertificate(dir.path / "nobody.key");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message.find("jupiter client add") != std::string::npos);
    std::ofstream(dir.path / "bad.key") << "curve\n    public-key = \"short\"\n";
    auto bad = loadPublicCertificate(dir.path / "bad.key");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("40 Z85 characters") != std::string::npos);
}
