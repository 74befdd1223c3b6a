// What the security tests' attackers hold and how they dial: sockets built by hand, as someone
// with nothing but the schemas (and perhaps a stolen key) would build them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "cluster.hpp"
#include "common/config.hpp"

namespace jupiter::testing {

// Who the attacker pretends to be: nobody (no CURVE at all), a stranger (a fresh key pair nobody
// registered), or a node whose key it stole.
enum class Guise { NoKey, UnknownKey, StolenNodeKey };

// A socket of `type` connected to `endpoint` (served by `serverNode`) in that guise, under
// `routingId` if one is given.
zmq::socket_t outsider(Cluster& c, zmq::socket_type type, const std::string& endpoint, const std::string& serverNode,
                       Guise guise, const std::string& stolenFrom = "query-1", const std::string& routingId = "");

// The first broker's channel and name.
std::string brokerChannel(Cluster& c, BrokerChannel ch);
std::string brokerName(Cluster& c);

// A node's pong (its seq and refusal counts); fails the test if it does not answer.
Doc pong(Cluster& c, const std::string& node);

// A seller.create through the gateways, which must be applied; returns its sequence number.
uint64_t newSeller(Cluster& c, int n);

// The command node's real event batch for the next command, captured on the bus (as the admin,
// who may subscribe), then rewritten into a forgery that claims the following sequence number;
// with the signature the leader gave the real one.
struct ForgedBatch {
    std::string envelope;
    std::string realSignature;
};
ForgedBatch forgeNextEvent(Cluster& c, int n);

// Sends `frames` every 50 ms for `during` (a PUB drops what it sends before its handshake).
void publishRepeatedly(zmq::socket_t& pub, const std::vector<std::string>& frames, Millis during);

// Every replica is at exactly `seq` and holds what the write model holds.
void requireUntouched(Cluster& c, uint64_t seq);

// A process's resident memory in KiB (VmRSS in /proc/PID/status), 0 if it is gone.
uint64_t residentKib(int pid);

}  // namespace jupiter::testing
