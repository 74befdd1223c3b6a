// The local etcd's CA, certificates and passwords (election/etcd_pki): made once, private, signed by
// the CA, naming the members' hosts, and the member certificate made again when a host is added.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "election/etcd_pki.hpp"
#include "temp_dir.hpp"
#include "text.hpp"

using namespace jupiter;
using jupiter::testing::slurp;

namespace {

unsigned modeOf(const std::filesystem::path& p) {
    struct stat st {};
    REQUIRE(stat(p.c_str(), &st) == 0);
    return st.st_mode & 0777;
}

// Whether `cert` is signed by the key of `ca`.
bool signedBy(const std::filesystem::path& cert, const std::filesystem::path& ca) {
    FILE* fc = fopen(cert.c_str(), "r");
    FILE* fa = fopen(ca.c_str(), "r");
    REQUIRE(fc);
    REQUIRE(fa);
    X509* c = PEM_read_X509(fc, nullptr, nullptr, nullptr);
    X509* a = PEM_read_X509(fa, nullptr, nullptr, nullptr);
    fclose(fc);
    fclose(fa);
    REQUIRE(c);
    REQUIRE(a);
    EVP_PKEY* key = X509_get0_pubkey(a);
    const bool ok = X509_verify(c, key) == 1;
    X509_free(c);
    X509_free(a);
    return ok;
}

}  // namespace

TEST_CASE("etcd files: a private CA signs the members' and the client's certificates - all 0600, kept once made") {
    testing::TempDir dir("etcd-pki");
    const auto keys = dir.path / "keys";
    REQUIRE(ensureEtcdFiles(keys, {"10.201.7.200", "etcd.example"}).ok());
    const EtcdFiles f = etcdFilesIn(keys);
    CHECK(modeOf(f.ca.parent_path()) == 0700);
    for (const auto& p : {f.ca, f.caKey, f.member, f.memberKey, f.client, f.clientKey, f.rootPassword, f.jupiterPassword}) {
        INFO(p.string());
        CHECK(modeOf(p) == 0600);
    }
    CHECK(signedBy(f.member, f.ca));
    CHECK(signedBy(f.client, f.ca));
    CHECK_FALSE(signedBy(f.ca, f.member));
    for (const char* host : {"127.0.0.1", "localhost", "10.201.7.200", "etcd.example"}) {
        INFO(host);
        CHECK(certificateNames(f.member, host));
    }
    CHECK_FALSE(certificateNames(f.member, "10.201.7.201"));
    CHECK_FALSE(certificateNames(f.client, "127.0.0.1"));  // a client certificate names no host
    // Two passwords, long and different.
    const std::string root = slurp(f.rootPassword), jupiter = slurp(f.jupiterPassword);
    CHECK(root.size() >= 40);
    CHECK(root != jupiter);

    // Again with the same hosts: nothing changes.
    const std::string ca = slurp(f.ca), member = slurp(f.member), client = slurp(f.client);
    REQUIRE(ensureEtcdFiles(keys, {"10.201.7.200", "etcd.example"}).ok());
    CHECK(slurp(f.ca) == ca);
    CHECK(slurp(f.member) == member);
    CHECK(slurp(f.rootPassword) == root);
    // A new host: the member certificate is made again under the same CA, the rest is kept.
    REQUIRE(ensureEtcdFiles(keys, {"10.201.7.200", "10.201.7.201"}).ok());
    CHECK(slurp(f.ca) == ca);
    CHECK(slurp(f.client) == client);
    CHECK(slurp(f.member) != member);
    CHECK(certificateNames(f.member, "10.201.7.201"));
    CHECK(signedBy(f.member, f.ca));
}

TEST_CASE("etcd files: the host of an URL") {
    CHECK(hostOfUrl("https://127.0.0.1:2379") == "127.0.0.1");
    CHECK(hostOfUrl("https://etcd.example:2379/") == "etcd.example");
    CHECK(hostOfUrl("https://[::1]:2379") == "::1");
    CHECK(hostOfUrl("http://10.201.7.200:23019") == "10.201.7.200");
}
