// The gateway's metrics; see gateway_metrics.hpp.
#include "gateway/gateway_metrics.hpp"

#include "schemas/catalog.hpp"
#include "schemas/envelope.hpp"

namespace jupiter {

std::string outcomeOf(std::string_view reply) {
    auto peek = peekEnvelope(reply);
    if (!peek) return "malformed";
    if (peek->kind != Kind::Error) return "ok";
    return peek->errorCode.empty() ? "error" : std::string(peek->errorCode);
}

GatewayMetrics::GatewayMetrics(Metrics& m, std::vector<std::string> replicas)
    : replicas_(std::move(replicas)),
      requests_(m.counter("jupiter_gateway_requests_total",
                          "Requests answered to clients, by kind (query, command), message name (unknown when the "
                          "catalogue has none of that name) and outcome (ok, or the error code)."),
                {"kind", "name", "outcome"}),
      duration_(m.histogram("jupiter_gateway_request_duration_seconds",
                            "Time from a client's request to its answer, as the client sees it, by kind."),
                {"kind"}),
      replicaDuration_(m.histogram("jupiter_gateway_replica_request_duration_seconds",
                                   "Time a query replica took to answer one attempt, by replica."),
                       {"replica"}),
      routeChanges_(m.counter("jupiter_gateway_route_changes_total",
                              "Changes of the replica queries go to, by the replica they went to (none: nowhere)."),
                    {"to"}),
      route_(m.gauge("jupiter_gateway_route", "1 for the replica queries go to now, 0 for the others."), {"replica"}),
      replicaDown_(m.counter("jupiter_gateway_replica_down_total",
                             "Times a replica was judged DOWN, by replica and reason (heartbeat: heartbeats and pings "
                             "missed; connection: its connection went; unreachable: our pings unanswered while its "
                             "heartbeats may still arrive)."),
                   {"replica", "reason"}),
      replicaUp_(m.gauge("jupiter_gateway_replica_up", "1 while the gateway judges the replica UP."), {"replica"}),
      replicaSeq_(m.gauge("jupiter_gateway_replica_applied_sequence",
                          "The last event sequence each replica said it applied."),
                  {"replica"}),
      replicaLag_(m.gauge("jupiter_gateway_replica_lag_events",
                          "Events a replica is behind the command node's head, as the gateway sees them."),
                  {"replica"}),
      retries_(m.counter("jupiter_gateway_query_retries_total",
                         "Query attempts sent again to another replica (timeout, lost connection, behind).")
                   .Add({})),
      resends_(m.counter("jupiter_gateway_command_resends_total",
                         "Commands sent again with the same request id (timeout, broker lost, no leader yet).")
                   .Add({})),
      metrics_(m) {
    // Every replica's series exist from the start, so that rates and absences read right.
    for (const auto& r : replicas_) {
        route_.at({r}).Set(0);
        replicaUp_.at({r}).Set(0);
        replicaDown_.at({r, "heartbeat"});
        replicaDown_.at({r, "connection"});
        replicaDuration_.at({r}, Metrics::secondsBuckets());
    }
    for (const char* kind : {"query", "command"}) duration_.at({kind}, Metrics::secondsBuckets());
}

void GatewayMetrics::answered(std::string_view kind, const std::string& name, std::string_view reply, Micros latency) {
    const std::string k(kind);
    requests_.at({k, metricNameLabel(kind == "query" ? Kind::Query : Kind::Command, name), outcomeOf(reply)}).Increment();
    duration_.at({k}, Metrics::secondsBuckets()).Observe(toSeconds(latency));
}

void GatewayMetrics::replicaAnswered(const std::string& replica, Micros latency) {
    replicaDuration_.at({replica}, Metrics::secondsBuckets()).Observe(toSeconds(latency));
}

void GatewayMetrics::routeChanged(const std::string& to) {
    routeChanges_.at({to.empty() ? "none" : to}).Increment();
    for (const auto& r : replicas_) route_.at({r}).Set(r == to ? 1 : 0);
}

void GatewayMetrics::replicaDown(const std::string& replica, std::string_view reason) {
    replicaDown_.at({replica, std::string(reason)}).Increment();
}

void GatewayMetrics::sample(const Liveness& live, uint64_t head, uint64_t queryRetries, uint64_t commandResends,
                            const Gatekeeper& gate) {
    for (const auto& r : replicas_) {
        replicaUp_.at({r}).Set(live.isUp(r) ? 1 : 0);
        if (const Heartbeat* hb = live.last(r)) {
            replicaSeq_.at({r}).Set(static_cast<double>(hb->seq));
            replicaLag_.at({r}).Set(head > hb->seq ? static_cast<double>(head - hb->seq) : 0.0);
        }
    }
    advanceTo(retries_, static_cast<double>(queryRetries));
    advanceTo(resends_, static_cast<double>(commandResends));
    metrics_.sampleRefusals(gate.refusedHandshakes(), gate.refusedMessages());
}

}  // namespace jupiter
