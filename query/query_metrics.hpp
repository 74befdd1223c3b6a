// A query node's Prometheus metrics: queries by name and outcome and their time on this node, the
// time and size of each applied event batch (live or replayed), the applied and head sequences and
// the lag between them, the event it is stuck at (if any), repaired gaps, batches refused from an
// old leader, the store's sizes and the door's refusals.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "security/gatekeeper.hpp"
#include "common/metrics.hpp"
#include "query/replicator.hpp"
#include "store/store_metrics.hpp"

namespace jupiter {

class QueryMetrics {
public:
    explicit QueryMetrics(Metrics& m);

    // A query `name` was answered with `outcome` ("ok" or an error code) after `took` here.
    void answered(const std::string& name, const std::string& outcome, Micros took);
    // `events` events from `source` ("live" or "replay") were applied in `took`.
    void applied(const std::string& source, std::size_t events, Micros took);
    // Copies the sequences, lag, gaps, refusals and store sizes (each heartbeat interval).
    void sample(const Store& store, const Replicator& replicator, uint64_t staleBatches, const Gatekeeper& gate);

private:
    Metrics& metrics_;
    LabelledMetrics<prometheus::Counter> requests_;
    prometheus::Histogram& duration_;
    LabelledMetrics<prometheus::Histogram> applyDuration_;
    LabelledMetrics<prometheus::Counter> eventsApplied_;
    prometheus::Gauge& head_;
    prometheus::Gauge& lag_;
    prometheus::Counter& gaps_;
    prometheus::Counter& stale_;
    prometheus::Gauge& stuck_;
    StoreMetrics store_;
};

}  // namespace jupiter
