// A command node's metrics; see command_metrics.hpp.
#include "command/command_metrics.hpp"

#include "schemas/catalog.hpp"

namespace jupiter {
CommandMetrics::CommandMetrics(Metrics& m)
    : metrics_(m),
      commands_(m.counter("jupiter_command_commands_total",
                          "Commands decided by this node, by message name (unknown when the catalogue has none of "
                          "that name) and outcome (ok, duplicate, unavailable, or the error code of the rule "
                          "broken)."),
                {"name", "outcome"}),
      commit_(m.histogram("jupiter_command_commit_duration_seconds",
                          "Time to write one group of commands with its events (one synced RocksDB write).")
                  .Add({}, Metrics::secondsBuckets())),
      batch_(m.histogram("jupiter_command_batch_size", "Commands written together in one group commit.")
                 .Add({}, Metrics::sizeBuckets())),
      replication_(m.histogram("jupiter_command_replication_duration_seconds",
                               "Time a leader held a committed group until a standby held it too.")
                       .Add({}, Metrics::secondsBuckets())),
      leader_(m.gauge("jupiter_command_leader", "1 while this command node leads (writes), else 0.").Add({})),
      epoch_(m.gauge("jupiter_command_epoch", "The leadership epoch this node knows (etcd's create revision).")
                 .Add({})),
      committed_(m.gauge("jupiter_command_committed_sequence",
                         "The last event sequence that is committed (held by the leader and a standby).")
                     .Add({})),
      store_(m) {}

void CommandMetrics::decided(const std::string& name, const std::string& outcome) {
    commands_.at({metricNameLabel(Kind::Command, name), outcome}).Increment();
}

void CommandMetrics::committed(std::size_t commands, Micros took) {
    commit_.Observe(toSeconds(took));
    batch_.Observe(static_cast<double>(commands));
}

void CommandMetrics::replicated(Micros took) { replication_.Observe(toSeconds(took)); }

void CommandMetrics::sample(bool leading, uint64_t epoch, uint64_t committedSeq, const Store& store,
                            const Gatekeeper& gate) {
    leader_.Set(leading ? 1 : 0);
    epoch_.Set(static_cast<double>(epoch));
    committed_.Set(static_cast<double>(committedSeq));
    store_.sample(store);
    metrics_.sampleRefusals(gate.refusedHandshakes(), gate.refusedMessages());
}

}  // namespace jupiter
