// Heartbeats: what every node publishes on the bus (topic "hb.<node>") from its own event loop,
// so that a stuck loop falls silent. libzmq's ZMQ_HEARTBEAT_* options are deliberately not used:
// they can drop healthy connections under backpressure (libzmq #3937, #4767).
#pragma once

#include <cstdint>
#include <string>

#include <zmq.hpp>

#include "common/clock.hpp"
#include "common/config.hpp"
#include "common/result.hpp"
#include "schemas/envelope.hpp"

namespace jupiter {

inline constexpr std::string_view kEventsTopic = "ev";
inline constexpr std::string_view kHeartbeatTopic = "hb.";
inline constexpr std::string_view kTransitionTopic = "tr";

struct Heartbeat {
    std::string node;
    Role role = Role::Query;
    uint64_t pid = 0;
    std::string endpoint;
    uint64_t seq = 0;          // applied (query) or head (command) sequence
    uint64_t digest = 0;
    uint64_t uptimeMs = 0;
    uint64_t intervalMs = 100;
    std::string route;         // gateway only
    int64_t routeSinceMs = 0;  // gateway only
    std::string routeReason;   // gateway only
    uint64_t queries = 0;      // gateway only: queries answered to clients since it started
    uint64_t commands = 0;     // gateway only: commands answered to clients since it started
    std::string standing;      // command only: "leader", "standby" or "unknown"
    uint64_t epoch = 0;        // command only: the leadership epoch it knows (0: a single command node)
    std::string leader;        // command only: the leader it knows, or empty
    uint64_t stuckAt = 0;      // query only: the event it cannot apply (0: it applies normally)
    std::string stuckReason;   // query only: why, when stuckAt > 0
    bool stuck() const { return stuckAt > 0; }
    // "stuck at N: reason", or empty.
    std::string stuckText() const;
    bool leads() const { return role == Role::Command && standing == "leader"; }
};

Envelope heartbeatEnvelope(const Heartbeat& hb);
// Reads a heartbeat from a decoded envelope (already schema-checked).
Result<Heartbeat> heartbeatFrom(const Envelope& e);

// Publishes this node's heartbeat on a PUB socket connected to the brokers' events_in (a broker
// publishes its own on its events_out).
class HeartbeatPublisher {
public:
    // Heartbeats of node `self` (name, role, control endpoint, our pid) every `interval`.
    HeartbeatPublisher(zmq::socket_t& pub, const Clock& clock, const NodeConfig& self, Millis interval);
    // Sends one heartbeat with the given sequence and digest; returns false if it could not be sent.
    bool publish(uint64_t seq, uint64_t digest = 0);
    Heartbeat& info() { return hb_; }

private:
    zmq::socket_t& pub_;
    const Clock& clock_;
    Heartbeat hb_;
    TimePoint started_;
};

}  // namespace jupiter
