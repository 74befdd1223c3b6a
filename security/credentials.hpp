// What a process proves and whom it trusts on the links it opens: its own CurveZMQ key pair and
// the public key of every node it may connect to (found by endpoint), or nothing in mode "none".
// Nodes load theirs at start (forNode); clients (the CLI, benchmarks, the client library) pick a
// key with --key FILE, else $JUPITER_KEY, else the cluster's admin key (forClient). Wiring and
// openClientSocket apply them; no other code sets a security option.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <zmq.hpp>

#include "security/certificate.hpp"
#include "common/config.hpp"
#include "security/signature.hpp"

namespace jupiter {

// The key file a client uses: `keyFile`, else $JUPITER_KEY, else keysDir/admin.key_secret (a
// NAME.key names its NAME.key_secret).
std::string clientKeyFile(const Config& config, const std::string& keyFile);

class Credentials {
public:
    // No security: only for clusters whose endpoints are all loopback or ipc (checked by the config).
    static Credentials none();
    // A node: its secret certificate keysDir/NAME.key_secret and every node's public certificate.
    static Result<Credentials> forNode(const Config& config, const NodeConfig& self);
    // A client: `keyFile` (a NAME.key_secret; empty: $JUPITER_KEY, else keysDir/admin.key_secret).
    static Result<Credentials> forClient(const Config& config, const std::string& keyFile);
    // A client without a configuration: `keyFile` and the public key of each server, by endpoint.
    static Result<Credentials> forServers(const std::string& keyFile, std::map<std::string, std::string> serverKeys);

    SecurityMode mode() const { return mode_; }
    bool curve() const { return mode_ == SecurityMode::Curve; }
    const std::string& publicKey() const { return self_.publicKey; }
    // The file the key pair came from (for messages; it holds the secret, its content is never shown).
    const std::string& keyFile() const { return keyFile_; }

    // Makes `s` a CURVE server for `zapDomain` (the ZAP handler judges each peer by it); call before bind.
    void serve(zmq::socket_t& s, std::string_view zapDomain) const;
    // Connects `s` to `endpoint` as a CURVE client that accepts only the key of the node there.
    // Throws std::runtime_error for an endpoint of no configured node (curve mode). libzmq's
    // "tcp://SOURCE;HOST:PORT" (from a chosen local address) is the node at tcp://HOST:PORT.
    void connect(zmq::socket_t& s, const std::string& endpoint) const;
    // Whether `endpoint` belongs to a node whose key is known (a client may connect there).
    bool knows(const std::string& endpoint) const;
    // The signing key derived from this key pair (see signature.hpp); none in mode "none".
    std::optional<SigningKey> signingKey() const;

private:
    // CURVE with the key pair in `keyFile` and every node's public key.
    static Result<Credentials> curveWith(const Config& config, std::string keyFile);

    SecurityMode mode_ = SecurityMode::None;
    KeyPair self_;
    std::string keyFile_;
    std::map<std::string, std::string> serverKeys_;  // connect endpoint -> the node's public key
};

}  // namespace jupiter
