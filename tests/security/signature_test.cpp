// Signing keys derived from CURVE keys: deterministic, published in the certificate, and no one
// else's signature (nor an altered message) verifies.
#include <doctest/doctest.h>

#include <array>

#include <zmq.h>

#include "security/certificate.hpp"
#include "security/signature.hpp"
#include "tests/temp_dir.hpp"

using namespace jupiter;
using jupiter::testing::TempDir;

namespace {

KeyPair freshPair() {
    std::array<char, 41> pub{}, sec{};
    REQUIRE(zmq_curve_keypair(pub.data(), sec.data()) == 0);
    return {pub.data(), sec.data()};
}

}  // namespace

TEST_CASE("signature: one CURVE key, one signing key - the certificate publishes it - forgeries fail") {
    const KeyPair leader = freshPair();
    auto key = SigningKey::derive(leader);
    auto again = SigningKey::derive(leader);
    REQUIRE(key.ok());
    REQUIRE(again.ok());
    CHECK(key->publicKey() == again->publicKey());
    CHECK(key->publicKey().size() == kZ85KeyLength);
    CHECK(key->publicKey() != leader.publicKey);  // not the CURVE key itself

    const std::string batch = "an event batch's envelope";
    const std::string sig = key->sign(batch);
    CHECK(sig.size() == kSignatureBytes);
    CHECK(verifySignature(key->publicKey(), batch, sig));
    CHECK_FALSE(verifySignature(key->publicKey(), batch + "!", sig));  // altered
    std::string flipped = sig;
    flipped[10] = static_cast<char>(flipped[10] ^ 1);
    CHECK_FALSE(verifySignature(key->publicKey(), batch, flipped));
    CHECK_FALSE(verifySignature(key->publicKey(), batch, ""));  // unsigned
    CHECK_FALSE(verifySignature(key->publicKey(), batch, sig.substr(1)));
    CHECK_FALSE(verifySignature("not a key", batch, sig));

    auto other = SigningKey::derive(freshPair());  // another node's key (a standby's)
    REQUIRE(other.ok());
    CHECK(other->publicKey() != key->publicKey());
    CHECK_FALSE(verifySignature(key->publicKey(), batch, other->sign(batch)));

    CHECK_FALSE(SigningKey::derive(KeyPair{leader.publicKey, "short"}).ok());

    TempDir dir("signature-test");
    auto made = createCertificate(dir.path, "command-1", {{"name", "command-1"}, {"role", "command"}});
    REQUIRE(made.ok());
    auto cert = loadPublicCertificate(publicCertificatePath(dir.path, "command-1"));
    REQUIRE(cert.ok());
    auto derived = signingPublicKeyOf(*made);
    REQUIRE(derived.ok());
    CHECK(cert->meta.at(std::string(kSigningKeyMeta)) == *derived);
}
