// Attackers' sockets; see intruder.hpp.
#include "intruder.hpp"

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <thread>
#include <fstream>

#include <fmt/format.h>

#include "bus/heartbeat.hpp"
#include "checks.hpp"
#include "common/zmq_util.hpp"
#include "security/certificate.hpp"
#include "node/links.hpp"
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

uint64_t newSeller(Cluster& c, int n) {
    auto r = c.send("seller.create", {{"first_name", "Ana"}, {"last_name", "Diaz"}, {"doc_type", "CEDULA"},
                                      {"doc_number", fmt::format("{}", 100000 + n)}, {"phone", "555"}});
    REQUIRE(r.ok());
    INFO(r->body.dump());
    REQUIRE(r->kind == Kind::Reply);
    return r->body["seq"].get<uint64_t>();
}

// The command node's real event batch for the next command, captured on the bus (as the admin,
// who may subscribe), then rewritten into a forgery that claims the following sequence number.
ForgedBatch forgeNextEvent(Cluster& c, int n) {
    auto sub = openBusSubscriber(c.ctx(), c.config(), c.credentials(), {std::string(kEventsTopic)});
    // The subscription reaches the broker asynchronously: commands are sent until one's events are seen.
    for (int attempt = 0; attempt < 20; ++attempt) {
        const uint64_t seq = newSeller(c, n * 1000 + attempt);
        zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
        if (zmq::poll(&item, 1, Millis(500)) != 1) continue;
        while (auto frames = recvFrames(sub)) {
            REQUIRE(frames->size() == 3);  // [ev, envelope, the leader's signature]
            auto env = decodeEnvelopeHeader(view((*frames)[1]));
            REQUIRE(env.ok());
            Doc& events = env->body["events"];
            REQUIRE(events.size() >= 1);
            Doc forged = events[events.size() - 1];
            if (forged["seq"].get<uint64_t>() != seq) continue;
            forged["seq"] = seq + 1;
            env->body["events"] = Doc::array({forged});
            env->body["head"] = seq + 1;
            return {encodeEnvelope(*env), std::string(view((*frames)[2]))};
        }
    }
    FAIL("no event batch seen on the bus");
    return {};
}

// Sends `frames` every 50 ms for `during` (a PUB drops what it sends before its handshake).
void publishRepeatedly(zmq::socket_t& pub, const std::vector<std::string>& frames, Millis during) {
    const auto end = std::chrono::steady_clock::now() + during;
    while (std::chrono::steady_clock::now() < end) {
        Frames out;
        for (const auto& f : frames) out.push_back(msg(f));
        sendFrames(pub, out);
        std::this_thread::sleep_for(Millis(50));
    }
}

// Every replica is at exactly `seq` and holds what the write model holds.
void requireUntouched(Cluster& c, uint64_t seq) {
    for (const auto& q : c.replicas()) {
        INFO(q);
        CHECK(pong(c, q)["seq"].get<uint64_t>() == seq);
    }
    requireConverged(c);
}

}  // namespace jupiter::testing
