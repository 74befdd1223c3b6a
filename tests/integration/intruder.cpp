// Attackers' sockets; see intruder.hpp.
#include "intruder.hpp"

#include <doctest/doctest.h>

#include <array>
#include <fstream>

#include <fmt/format.h>

#include "common/certificate.hpp"
#include "common/paths.hpp"

namespace jupiter::testing {

zmq::socket_t outsider(Cluster& c, zmq::socket_type type, const std::string& endpoint, const std::string& serverNode,
                       Guise guise, const std::string& stolenFrom, const std::string& routingId) {
    zmq::socket_t s(c.ctx(), type);
    s.set(zmq::sockopt::linger, 0);
    if (!routingId.empty()) s.set(zmq::sockopt::routing_id, routingId);
    if (guise != Guise::NoKey) {
        KeyPair own;
        if (guise == Guise::UnknownKey) {
            std::array<char, 41> pub{}, sec{};
            REQUIRE(zmq_curve_keypair(pub.data(), sec.data()) == 0);
            own = {pub.data(), sec.data()};
        } else {
            auto stolen = loadSecretCertificate(secretCertificatePath(c.config().keysDir, stolenFrom));
            REQUIRE(stolen.ok());
            own = *stolen;
        }
        auto server = loadPublicCertificate(publicCertificatePath(c.config().keysDir, serverNode));
        REQUIRE(server.ok());
        s.set(zmq::sockopt::curve_serverkey, server->publicKey);
        s.set(zmq::sockopt::curve_publickey, own.publicKey);
        s.set(zmq::sockopt::curve_secretkey, own.secretKey);
    }
    s.connect(endpoint);
    return s;
}

std::string brokerChannel(Cluster& c, BrokerChannel ch) {
    return c.config().nodesWith(Role::Broker).front()->channel(ch).connect;
}

std::string brokerName(Cluster& c) { return c.config().nodesWith(Role::Broker).front()->name; }

Doc pong(Cluster& c, const std::string& node) {
    auto r = c.client(node).call(makeRequest(Kind::Control, "ping", Doc::object()), Millis(2000), 3);
    REQUIRE(r.ok());
    return r->body;
}

uint64_t residentKib(int pid) {
    std::ifstream in(fmt::format("/proc/{}/status", pid));
    std::string line;
    while (std::getline(in, line))
        if (line.starts_with("VmRSS:")) return std::stoull(line.substr(6));
    return 0;
}

}  // namespace jupiter::testing
