// The broker's metrics; see broker_metrics.hpp.
#include "broker/broker_metrics.hpp"

namespace jupiter {
namespace {

prometheus::Family<prometheus::Counter>& relayed(Metrics& m) {
    return m.counter("jupiter_broker_relayed_messages_total",
                     "Messages relayed, by channel (commands: to the leading command node; replies: back to "
                     "gateways; bus: events, heartbeats and transitions to subscribers).");
}

}  // namespace

BrokerMetrics::BrokerMetrics(Metrics& m)
    : metrics_(m),
      commands_(relayed(m).Add({{"channel", "commands"}})),
      replies_(relayed(m).Add({{"channel", "replies"}})),
      bus_(relayed(m).Add({{"channel", "bus"}})),
      unavailable_(m.counter("jupiter_broker_commands_unavailable_total",
                             "Commands answered `unavailable`: no command node leads, or the leader is not connected.")
                       .Add({})) {}

}  // namespace jupiter
