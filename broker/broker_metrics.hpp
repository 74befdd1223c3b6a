// The broker's Prometheus metrics: messages relayed by channel (commands to the leader, replies
// back to gateways, bus messages out to subscribers), commands answered `unavailable` (no leader,
// or the leader not connected), and the door's refusals.
#pragma once

#include "security/gatekeeper.hpp"
#include "common/metrics.hpp"

namespace jupiter {

class BrokerMetrics {
public:
    explicit BrokerMetrics(Metrics& m);
    void relayedCommand() { commands_.Increment(); }
    void relayedReply() { replies_.Increment(); }
    void relayedBus() { bus_.Increment(); }
    void refusedCommand() { unavailable_.Increment(); }
    void sample(const Gatekeeper& gate) { metrics_.sampleRefusals(gate.refusedHandshakes(), gate.refusedMessages()); }

private:
    Metrics& metrics_;
    prometheus::Counter& commands_;
    prometheus::Counter& replies_;
    prometheus::Counter& bus_;
    prometheus::Counter& unavailable_;
};

}  // namespace jupiter
