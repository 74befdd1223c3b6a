// A query node's metrics; see query_metrics.hpp.
#include "query/query_metrics.hpp"

namespace jupiter {
QueryMetrics::QueryMetrics(Metrics& m)
    : metrics_(m),
      requests_(m.counter("jupiter_query_requests_total",
                          "Queries answered by this replica, by message name (unknown when the catalogue has none of "
                          "that name) and outcome (ok, or the error code)."),
                {"name", "outcome"}),
      duration_(m.histogram("jupiter_query_duration_seconds", "Time this replica took to run a query.")
                    .Add({}, Metrics::secondsBuckets())),
      applyDuration_(m.histogram("jupiter_query_apply_duration_seconds",
                                 "Time to apply one batch of events to the read model, by source (live, replay)."),
                     {"source"}),
      eventsApplied_(m.counter("jupiter_query_events_applied_total",
                               "Events applied to the read model, by source (live, replay)."),
                     {"source"}),
      head_(m.gauge("jupiter_query_head_sequence", "The newest event sequence this replica knows the leader has.")
                .Add({})),
      lag_(m.gauge("jupiter_query_lag_events", "Events this replica is behind the leader's head.").Add({})),
      gaps_(m.counter("jupiter_query_gaps_repaired_total", "Gaps in the live event stream repaired by replay.")
                .Add({})),
      stale_(m.counter("jupiter_query_stale_batches_total",
                       "Event batches refused because they came from a leader older than one already heard.")
                 .Add({})),
      stuck_(m.gauge("jupiter_query_stuck_at_sequence",
                     "The event this replica cannot apply and stopped at (0: it applies normally); it resumes when "
                     "restarted with a build that can apply it.")
                 .Add({})),
      store_(m) {
    for (const char* source : {"live", "replay"}) {
        applyDuration_.at({source}, Metrics::secondsBuckets());
        eventsApplied_.at({source});
    }
}

void QueryMetrics::answered(const std::string& name, const std::string& outcome, Micros took) {
    requests_.at({name, outcome}).Increment();
    duration_.Observe(toSeconds(took));
}

void QueryMetrics::applied(const std::string& source, std::size_t events, Micros took) {
    if (events == 0) return;
    applyDuration_.at({source}, Metrics::secondsBuckets()).Observe(toSeconds(took));
    eventsApplied_.at({source}).Increment(static_cast<double>(events));
}

void QueryMetrics::sample(const Store& store, const Replicator& replicator, uint64_t staleBatches,
                          const Gatekeeper& gate) {
    head_.Set(static_cast<double>(replicator.head()));
    lag_.Set(static_cast<double>(replicator.lag()));
    stuck_.Set(replicator.stuck() ? static_cast<double>(replicator.stuck()->seq) : 0.0);
    advanceTo(gaps_, static_cast<double>(replicator.gapsSeen()));
    advanceTo(stale_, static_cast<double>(staleBatches));
    store_.sample(store);
    metrics_.sampleRefusals(gate.refusedHandshakes(), gate.refusedMessages());
}

}  // namespace jupiter
