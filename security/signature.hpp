// Signatures that prove who wrote a message (the leader's on every event batch it publishes),
// with Ed25519 from libsodium: a broker, or any node that relays or forges a batch, cannot make
// one that verifies under the leader's key.
//
// A node's signing key is derived from its CurveZMQ secret key (a keyed BLAKE2b of it seeds the
// Ed25519 pair), so there is no second secret to keep; its public half is published in the node's
// public certificate (metadata `signing-key`, Z85), which createCertificate writes. CURVE keys
// (X25519) only encrypt and authenticate a link; a signature must survive relays, hence Ed25519.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "security/certificate.hpp"
#include "common/result.hpp"

namespace jupiter {

inline constexpr std::size_t kSignatureBytes = 64;
inline constexpr std::string_view kSigningKeyMeta = "signing-key";

class SigningKey {
public:
    // The signing key derived from a CURVE key pair (its Z85 secret key).
    static Result<SigningKey> derive(const KeyPair& curve);

    // The detached signature of `message` (kSignatureBytes bytes).
    std::string sign(std::string_view message) const;
    // The public half, Z85, as certificates publish it.
    const std::string& publicKey() const { return public_; }

private:
    std::array<unsigned char, 64> secret_{};
    std::string public_;
};

// The Z85 public signing key that goes with a CURVE secret key (for certificates).
Result<std::string> signingPublicKeyOf(const KeyPair& curve);

// Whether `signature` is a valid signature of `message` by the Z85 public signing key.
bool verifySignature(std::string_view publicKey, std::string_view message, std::string_view signature);

}  // namespace jupiter
