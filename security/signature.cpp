// Ed25519 signing keys derived from CURVE keys; see signature.hpp.
#include "security/signature.hpp"

#include <sodium.h>
#include <zmq.h>

#include <stdexcept>

namespace jupiter {

namespace {

// Domain separation: the seed is a keyed hash of the CURVE secret that no other use of that
// secret produces.
constexpr std::string_view kSeedContext = "jupiter event signing key, v1";

bool sodiumReady() {
    static const bool ready = sodium_init() >= 0;
    return ready;
}

std::string z85(const unsigned char* data, std::size_t size) {
    std::string out(size * 5 / 4 + 1, '\0');
    if (!zmq_z85_encode(out.data(), data, size)) throw std::logic_error("z85 encoding of a multiple of 4 bytes failed");
    out.resize(size * 5 / 4);
    return out;
}

}  // namespace

Result<SigningKey> SigningKey::derive(const KeyPair& curve) {
    if (!sodiumReady()) return makeError("keys", "libsodium could not be initialised");
    std::array<unsigned char, 32> curveSecret{};
    if (curve.secretKey.size() != kZ85KeyLength || !zmq_z85_decode(curveSecret.data(), curve.secretKey.c_str()))
        return makeError("keys", "the secret key is not a Z85 CURVE key");
    std::array<unsigned char, crypto_sign_SEEDBYTES> seed{};
    crypto_generichash(seed.data(), seed.size(), curveSecret.data(), curveSecret.size(),
                       reinterpret_cast<const unsigned char*>(kSeedContext.data()), kSeedContext.size());
    SigningKey key;
    std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> pub{};
    crypto_sign_seed_keypair(pub.data(), key.secret_.data(), seed.data());
    sodium_memzero(seed.data(), seed.size());
    sodium_memzero(curveSecret.data(), curveSecret.size());
    key.public_ = z85(pub.data(), pub.size());
    return key;
}

std::string SigningKey::sign(std::string_view message) const {
    std::string sig(kSignatureBytes, '\0');
    crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                         reinterpret_cast<const unsigned char*>(message.data()), message.size(), secret_.data());
    return sig;
}

Result<std::string> signingPublicKeyOf(const KeyPair& curve) {
    auto key = SigningKey::derive(curve);
    if (!key) return key.error();
    return key->publicKey();
}

bool verifySignature(std::string_view publicKey, std::string_view message, std::string_view signature) {
    if (!sodiumReady() || signature.size() != kSignatureBytes || publicKey.size() != kZ85KeyLength) return false;
    std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> pub{};
    const std::string z(publicKey);
    if (!zmq_z85_decode(pub.data(), z.c_str())) return false;
    return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                                       pub.data()) == 0;
}

}  // namespace jupiter
