// The monitor's metrics; see monitor_metrics.hpp.
#include "monitor/monitor_metrics.hpp"

namespace jupiter {

MonitorMetrics::MonitorMetrics(Metrics& m, const Config& config, const std::string& self, Millis heartbeatInterval)
    : metrics_(m),
      interval_(heartbeatInterval),
      up_(m.gauge("jupiter_monitor_node_up", "1 while the monitor judges the node UP (heartbeats or ping answers)."),
          {"target", "role"}),
      age_(m.gauge("jupiter_monitor_heartbeat_age_seconds", "Time since the node's last heartbeat."), {"target"}),
      missed_(m.counter("jupiter_monitor_heartbeats_missed_total",
                        "Heartbeat intervals that passed with the node's last heartbeat older than 1.5 intervals."),
              {"target"}),
      rtt_(m.gauge("jupiter_monitor_ping_rtt_seconds", "Round trip of the node's last answer to the monitor's ping."),
           {"target"}),
      lag_(m.gauge("jupiter_monitor_lag_events",
                   "Events a query node or a standby command node is behind the leader's head (0 for the others)."),
           {"target"}),
      transitions_(m.counter("jupiter_monitor_transitions_total",
                             "Transitions the monitor logged, by node and event (UP, DOWN, REROUTE, LEADER)."),
                   {"target", "event"}) {
    for (const auto& n : config.nodes) {
        if (n.name == self) continue;
        nodes_.push_back(&n);
        up_.at({n.name, std::string(roleName(n.role))}).Set(0);
        missed_.at({n.name});
        for (const char* event : {"UP", "DOWN"}) transitions_.at({n.name, event});
    }
}

void MonitorMetrics::sample(const NodeHealth& health, uint64_t head, const Gatekeeper& gate) {
    const auto& live = health.liveness();
    for (const auto* n : nodes_) {
        up_.at({n->name, std::string(roleName(n->role))}).Set(health.state(n->name) == NodeState::Up ? 1 : 0);
        const int64_t age = live.ageMs(n->name);
        if (age >= 0) {
            age_.at({n->name}).Set(static_cast<double>(age) / 1000.0);
            if (age * 2 > interval_.count() * 3) missed_.at({n->name}).Increment();
        }
        rtt_.at({n->name}).Set(static_cast<double>(health.rttUs(n->name)) / 1e6);
        const Heartbeat* hb = live.last(n->name);
        const bool follows = n->role == Role::Query || (n->role == Role::Command && hb && !hb->leads());
        lag_.at({n->name}).Set(hb && follows && head > hb->seq ? static_cast<double>(head - hb->seq) : 0.0);
    }
    metrics_.sampleRefusals(gate.refusedHandshakes(), gate.refusedMessages());
}

}  // namespace jupiter
