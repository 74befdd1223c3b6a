// The monitor's Prometheus metrics, one series per node it watches: UP or not, the age of its last
// heartbeat, heartbeat intervals that passed without one (missed heartbeats), the round trip of its
// last ping answer, how far a replica or standby is behind the leader's head, and the transitions
// the monitor logged (UP, DOWN, REROUTE, LEADER) — the figures availability and failover time are
// computed from (README, "Monitoring").
#pragma once

#include <string>
#include <vector>

#include "common/config.hpp"
#include "security/gatekeeper.hpp"
#include "common/metrics.hpp"
#include "monitor/node_health.hpp"

namespace jupiter {

class MonitorMetrics {
public:
    MonitorMetrics(Metrics& m, const Config& config, const std::string& self, Millis heartbeatInterval);

    void transition(const std::string& node, const std::string& event) { transitions_.at({node, event}).Increment(); }
    // Each heartbeat interval: the nodes' state as the monitor judges it, and `head`, the leader's.
    void sample(const NodeHealth& health, uint64_t head, const Gatekeeper& gate);

private:
    Metrics& metrics_;
    std::vector<const NodeConfig*> nodes_;
    Millis interval_;
    LabelledMetrics<prometheus::Gauge> up_;
    LabelledMetrics<prometheus::Gauge> age_;
    LabelledMetrics<prometheus::Counter> missed_;
    LabelledMetrics<prometheus::Gauge> rtt_;
    LabelledMetrics<prometheus::Gauge> lag_;
    LabelledMetrics<prometheus::Counter> transitions_;
};

}  // namespace jupiter
