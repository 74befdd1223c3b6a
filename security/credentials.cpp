// Credentials; see credentials.hpp.
#include "security/credentials.hpp"

#include "common/zmq_util.hpp"

#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

namespace jupiter {
namespace {

// Every node's public key, under each endpoint a peer connects to.
Result<std::map<std::string, std::string>> serverKeysOf(const Config& config) {
    std::map<std::string, std::string> keys;
    for (const auto& n : config.nodes) {
        auto cert = loadPublicCertificate(publicCertificatePath(config.keysDir, n.name));
        if (!cert) return cert.error();
        keys[n.endpoint] = cert->publicKey;
        for (const auto& [ch, ep] : n.channels) keys[ep.connect] = cert->publicKey;
    }
    return keys;
}

}  // namespace

Credentials Credentials::none() { return Credentials{}; }

Result<Credentials> Credentials::forNode(const Config& config, const NodeConfig& self) {
    if (config.security == SecurityMode::None) return none();
    return curveWith(config, secretCertificatePath(config.keysDir, self.name).string());
}

Result<Credentials> Credentials::curveWith(const Config& config, std::string keyFile) {
    auto keys = serverKeysOf(config);
    if (!keys) return keys.error();
    return forServers(keyFile, std::move(*keys));
}

Result<Credentials> Credentials::forServers(const std::string& keyFile, std::map<std::string, std::string> serverKeys) {
    if (auto s = checkCurveAvailable(); !s) return s.error();
    Credentials c;
    c.mode_ = SecurityMode::Curve;
    c.keyFile_ = keyFile;
    auto pair = loadSecretCertificate(c.keyFile_);
    if (!pair) return pair.error();
    c.self_ = std::move(*pair);
    c.serverKeys_ = std::move(serverKeys);
    return c;
}

std::optional<SigningKey> Credentials::signingKey() const {
    if (!curve()) return std::nullopt;
    auto key = SigningKey::derive(self_);
    if (!key) throw std::logic_error("a loaded CURVE secret key yields no signing key: " + key.error().message);
    return std::move(*key);
}

std::string clientKeyFile(const Config& config, const std::string& keyFile) {
    std::string file = keyFile;
    if (file.empty()) {
        const char* env = std::getenv("JUPITER_KEY");
        file = env && *env ? env : secretCertificatePath(config.keysDir, "admin").string();
    }
    // NAME.key names the certificate as well as NAME.key_secret does.
    if (file.ends_with(".key")) file += "_secret";
    return file;
}

Result<Credentials> Credentials::forClient(const Config& config, const std::string& keyFile) {
    if (config.security == SecurityMode::None) return none();
    return curveWith(config, clientKeyFile(config, keyFile));
}

void Credentials::serve(zmq::socket_t& s, std::string_view zapDomain) const {
    if (!curve()) return;
    s.set(zmq::sockopt::zap_domain, std::string(zapDomain));
    s.set(zmq::sockopt::curve_server, 1);
    s.set(zmq::sockopt::curve_secretkey, self_.secretKey);
}

namespace {

// libzmq's "tcp://SOURCE;DESTINATION" (connect from a chosen local address): the server is the
// destination, "tcp://DESTINATION".
std::string serverOf(const std::string& endpoint) {
    const auto semi = endpoint.find(';');
    const auto scheme = endpoint.find("://");
    if (semi == std::string::npos || scheme == std::string::npos || semi < scheme) return endpoint;
    return endpoint.substr(0, scheme + 3) + endpoint.substr(semi + 1);
}

}  // namespace

bool Credentials::knows(const std::string& endpoint) const {
    return !curve() || serverKeys_.count(serverOf(endpoint)) > 0;
}

void Credentials::connect(zmq::socket_t& s, const std::string& endpoint) const {
    if (curve()) {
        auto it = serverKeys_.find(serverOf(endpoint));
        if (it == serverKeys_.end())
            throw std::runtime_error(fmt::format("{} is the endpoint of no node in the configuration: its public key is "
                                                 "unknown, so it cannot be reached securely", endpoint));
        // Options are taken per connect, so one socket can reach several servers, each with its own key.
        s.set(zmq::sockopt::curve_serverkey, it->second);
        s.set(zmq::sockopt::curve_publickey, self_.publicKey);
        s.set(zmq::sockopt::curve_secretkey, self_.secretKey);
    }
    s.connect(endpoint);
    noteSocketUsed(s);
}

}  // namespace jupiter
