// Heartbeat encoding and publishing; see heartbeat.hpp.
#include "bus/heartbeat.hpp"

#include "common/zmq_util.hpp"

namespace jupiter {

Envelope heartbeatEnvelope(const Heartbeat& hb) {
    Envelope e;
    e.kind = Kind::Heartbeat;
    e.name = "heartbeat";
    e.body = {{"node", hb.node},     {"role", hb.role},           {"pid", hb.pid},
              {"endpoint", hb.endpoint}, {"seq", hb.seq},         {"digest", hb.digest},
              {"uptime_ms", hb.uptimeMs}, {"interval_ms", hb.intervalMs}};
    if (hb.role == "gateway") {
        e.body["route"] = hb.route;
        e.body["route_since_ms"] = hb.routeSinceMs;
        e.body["route_reason"] = hb.routeReason;
    }
    return e;
}

Result<Heartbeat> heartbeatFrom(const Envelope& e) {
    if (e.kind != Kind::Heartbeat) return makeError("malformed", "not a heartbeat");
    const Doc& b = e.body;
    Heartbeat hb;
    hb.node = b.at("node").get<std::string>();
    hb.role = b.at("role").get<std::string>();
    hb.pid = b.at("pid").get<uint64_t>();
    hb.endpoint = b.at("endpoint").get<std::string>();
    hb.seq = b.at("seq").get<uint64_t>();
    hb.digest = b.value("digest", uint64_t{0});
    hb.uptimeMs = b.at("uptime_ms").get<uint64_t>();
    hb.intervalMs = b.at("interval_ms").get<uint64_t>();
    if (hb.intervalMs == 0) return makeError("bad_field", "heartbeat interval_ms must be > 0");
    hb.route = b.value("route", std::string());
    hb.routeSinceMs = b.value("route_since_ms", int64_t{0});
    hb.routeReason = b.value("route_reason", std::string());
    return hb;
}

HeartbeatPublisher::HeartbeatPublisher(zmq::socket_t& pub, const Clock& clock, Heartbeat base)
    : pub_(pub), clock_(clock), hb_(std::move(base)), started_(clock.now()) {}

bool HeartbeatPublisher::publish(uint64_t seq, uint64_t digest) {
    hb_.seq = seq;
    hb_.digest = digest;
    hb_.uptimeMs = static_cast<uint64_t>(toMs(clock_.now() - started_));
    const std::string topic = std::string(kHeartbeatTopic) + hb_.node;
    const std::string bytes = encodeEnvelope(heartbeatEnvelope(hb_));
    return sendFrames(pub_, {topic, bytes});
}

}  // namespace jupiter
