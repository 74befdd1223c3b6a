// The gateway's Prometheus metrics: requests by kind, name and outcome and their latency as the
// client sees it, each replica's latency, state and lag, route changes, resends and retries, and
// the refusals of its door. Fed by the routers' observers and sampled from the liveness table at
// each heartbeat interval.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bus/liveness.hpp"
#include "common/clock.hpp"
#include "security/gatekeeper.hpp"
#include "common/metrics.hpp"

namespace jupiter {

class GatewayMetrics {
public:
    GatewayMetrics(Metrics& m, std::vector<std::string> replicas);

    // The client was sent `reply` for its `kind` request `name`, `latency` after it arrived.
    void answered(std::string_view kind, const std::string& name, std::string_view reply, Micros latency);
    void replicaAnswered(const std::string& replica, Micros latency);
    // The route now goes to `to` ("" = nowhere).
    void routeChanged(const std::string& to);
    // A replica was judged DOWN: its heartbeats stopped, or its connection went.
    void replicaDown(const std::string& replica, std::string_view reason);
    // Copies what other parts count: replicas' state and lag, resends, retries, the door's refusals.
    void sample(const Liveness& live, uint64_t head, uint64_t queryRetries, uint64_t commandResends,
                const Gatekeeper& gate);

private:
    std::vector<std::string> replicas_;
    LabelledMetrics<prometheus::Counter> requests_;
    LabelledMetrics<prometheus::Histogram> duration_;
    LabelledMetrics<prometheus::Histogram> replicaDuration_;
    LabelledMetrics<prometheus::Counter> routeChanges_;
    LabelledMetrics<prometheus::Gauge> route_;
    LabelledMetrics<prometheus::Counter> replicaDown_;
    LabelledMetrics<prometheus::Gauge> replicaUp_;
    LabelledMetrics<prometheus::Gauge> replicaSeq_;
    LabelledMetrics<prometheus::Gauge> replicaLag_;
    prometheus::Counter& retries_;
    prometheus::Counter& resends_;
    Metrics& metrics_;
};

// A request's outcome as a label: "ok", or the error code of the reply (a bounded set).
std::string outcomeOf(std::string_view reply);

}  // namespace jupiter
