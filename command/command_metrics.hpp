// A command node's Prometheus metrics: commands by name and outcome (ok, duplicate, refused as
// unavailable, or the rule they broke), the time of each group commit and its size in commands,
// the leader's wait for a standby to hold a group, its standing and epoch, the committed sequence,
// the store's sizes and the door's refusals.
#pragma once

#include <cstddef>
#include <string>

#include "common/clock.hpp"
#include "security/gatekeeper.hpp"
#include "common/metrics.hpp"
#include "store/store_metrics.hpp"

namespace jupiter {

class CommandMetrics {
public:
    explicit CommandMetrics(Metrics& m);

    void decided(const std::string& name, const std::string& outcome);
    // A group of `commands` commands was written in one commit taking `took`.
    void committed(std::size_t commands, Micros took);
    // A leader's group was held `took` until a standby had it (replicated clusters).
    void replicated(Micros took);
    // Copies standing, epoch, committed sequence, store sizes, refusals (each heartbeat interval).
    void sample(bool leading, uint64_t epoch, uint64_t committedSeq, const Store& store, const Gatekeeper& gate);

private:
    Metrics& metrics_;
    LabelledMetrics<prometheus::Counter> commands_;
    prometheus::Histogram& commit_;
    prometheus::Histogram& batch_;
    prometheus::Histogram& replication_;
    prometheus::Gauge& leader_;
    prometheus::Gauge& epoch_;
    prometheus::Gauge& committed_;
    StoreMetrics store_;
};

}  // namespace jupiter
