// CurveZMQ certificates on disk, in the text format CZMQ's zcert reads and writes (so standard
// ZeroMQ tools interoperate): NAME.key holds the public key and metadata, NAME.key_secret both
// keys, Z85-encoded. Secret files are created 0600 and refused when group or others can read
// them, as ssh refuses an unprotected private key. Nothing here ever puts a secret key in a
// message.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "common/result.hpp"

namespace jupiter {

inline constexpr std::size_t kZ85KeyLength = 40;

struct KeyPair {
    std::string publicKey;  // Z85
    std::string secretKey;  // Z85; never logged
};

struct PublicCertificate {
    std::string publicKey;                      // Z85
    std::map<std::string, std::string> meta;    // e.g. name, role
};

std::filesystem::path publicCertificatePath(const std::filesystem::path& dir, const std::string& name);
std::filesystem::path secretCertificatePath(const std::filesystem::path& dir, const std::string& name);

// Reads a public certificate (NAME.key).
Result<PublicCertificate> loadPublicCertificate(const std::filesystem::path& file);
// Reads a secret certificate (NAME.key_secret), first refusing one that group or others can read.
Result<KeyPair> loadSecretCertificate(const std::filesystem::path& file);
// Refuses a secret file that group or others can read, naming it and `chmod 600`.
Status checkSecretFileMode(const std::filesystem::path& file);

// Creates a new key pair as dir/NAME.key (0644) and dir/NAME.key_secret (0600) with `meta`;
// refuses to overwrite an existing certificate.
Result<KeyPair> createCertificate(const std::filesystem::path& dir, const std::string& name,
                                  const std::map<std::string, std::string>& meta);

// Whether this libzmq was built with CURVE (libsodium); the error names the missing package.
Status checkCurveAvailable();

}  // namespace jupiter
