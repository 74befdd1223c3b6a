// The monitor's judgement of each node, from two independent signals: heartbeats on the bus
// (Liveness) and its own ping-echo probes. A node is UP only when both hold, so a node whose
// heartbeats still flow but whose request loop is stuck is caught too. Reports each change of the
// combined state once, with the evidence. Time comes from the injected Clock.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bus/liveness.hpp"

namespace jupiter {

struct HealthChange {
    std::string node;
    NodeState to;
    std::string reason;
};

class NodeHealth {
public:
    // How many ping timeouts a node never reached yet may stay unreachable before it is DOWN.
    static constexpr int kStartGrace = 10;

    // `quietEvery`: how often a node is pinged while nothing is in doubt (its heartbeats arrive on
    // time and it echoed the last ping); 0 pings it at every call of pingDue.
    NodeHealth(const Clock& clock, int missLimit, int recoveryBeats, Millis pingTimeout, Millis quietEvery = Millis(0));

    void onHeartbeat(const Heartbeat& hb);
    // A ping went out to `node` (if none is outstanding); returns the request id to use, or
    // nullopt when one is still waiting for its echo, or when nothing is in doubt and the last
    // ping went out less than `quietEvery` ago. A node that has never echoed is still
    // starting (connected before its loop answers) for kStartGrace pings' timeouts: an unanswered
    // ping then is no news.
    std::optional<std::string> pingDue(const std::string& node);
    void onPong(const std::string& node, const std::string& id);
    // The ping `pingDue` just gave could not be sent: we have no connection to `node`. A node that
    // has echoed before is DOWN at once; one never reached yet is starting (or our connection to it
    // is), which is no news, until that has lasted kStartGrace pings' timeouts.
    void onPingUnsent(const std::string& node);
    // Our probe connection to `node` dropped (its process died or closed): the echo cannot come,
    // so the node is DOWN now rather than after the ping timeout. A later echo brings it back.
    void onConnectionLost(const std::string& node);
    // Re-evaluates every node; returns the combined-state changes since the last call.
    std::vector<HealthChange> evaluate();

    NodeState state(const std::string& node) const;
    // The last echo's round trip; -1 while the latest ping is unanswered past its timeout.
    int64_t rttUs(const std::string& node) const;
    const Liveness& liveness() const { return live_; }

private:
    struct Probe {
        std::string outstandingId;
        TimePoint sentAt{};
        bool ok = false;          // last probe answered in time
        bool everAnswered = false;
        std::optional<TimePoint> unreachableSince;  // never reached yet, and pings could not be sent
        std::optional<TimePoint> firstAskedAt;      // the first ping sent (answered or not)
        int64_t rttUs = -1;
        std::string failReason;
        uint64_t counter = 0;
    };
    const Clock& clock_;
    Liveness live_;
    Millis pingTimeout_;
    Millis quietEvery_;
    std::map<std::string, Probe> probes_;
    std::map<std::string, NodeState> reported_;
};

}  // namespace jupiter
