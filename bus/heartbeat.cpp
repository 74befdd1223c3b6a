// Heartbeat encoding and publishing; see heartbeat.hpp.
#include "bus/heartbeat.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "common/zmq_util.hpp"

namespace jupiter {

Envelope heartbeatEnvelope(const Heartbeat& hb) {
    Envelope e;
    e.kind = Kind::Heartbeat;
    e.name = "heartbeat";
    e.body = {{"node", hb.node},     {"role", roleName(hb.role)},           {"pid", hb.pid},
              {"endpoint", hb.endpoint}, {"seq", hb.seq},         {"digest", hb.digest},
              {"uptime_ms", hb.uptimeMs}, {"interval_ms", hb.intervalMs}};
    if (hb.role == Role::Gateway) {
        e.body["route"] = hb.route;
        e.body["route_since_ms"] = hb.routeSinceMs;
        e.body["route_reason"] = hb.routeReason;
        e.body["queries"] = hb.queries;
        e.body["commands"] = hb.commands;
    }
    if (hb.role == Role::Query && hb.stuck()) {
        e.body["stuck_at"] = hb.stuckAt;
        e.body["stuck_reason"] = hb.stuckReason;
    }
    if (hb.role == Role::Command) {
        e.body["standing"] = hb.standing;
        e.body["epoch"] = hb.epoch;
        e.body["leader"] = hb.leader;
    }
    return e;
}

std::string Heartbeat::stuckText() const {
    return stuck() ? fmt::format("stuck at {}: {}", stuckAt, stuckReason) : std::string();
}

namespace {

// A string of a heartbeat goes into logs and status tables: a control character (a newline) in it
// could forge lines there.
bool printable(const std::string& s) {
    for (char c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
    return true;
}

}  // namespace

Result<Heartbeat> heartbeatFrom(const Envelope& e) {
    if (e.kind != Kind::Heartbeat) return makeError("malformed", "not a heartbeat");
    const Doc& b = e.body;
    Heartbeat hb;
    hb.node = b.at("node").get<std::string>();
    const auto role = parseRole(b.at("role").get<std::string>());
    if (!role) return makeError("bad_field", "heartbeat role must be broker, command, query, monitor or gateway");
    hb.role = *role;
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
    hb.queries = b.value("queries", uint64_t{0});
    hb.commands = b.value("commands", uint64_t{0});
    hb.standing = b.value("standing", std::string(hb.role == Role::Command ? "leader" : ""));
    hb.epoch = b.value("epoch", uint64_t{0});
    hb.leader = b.value("leader", std::string());
    hb.stuckAt = b.value("stuck_at", uint64_t{0});
    hb.stuckReason = b.value("stuck_reason", std::string());
    for (const std::string* f :
         {&hb.node, &hb.endpoint, &hb.route, &hb.routeReason, &hb.standing, &hb.leader, &hb.stuckReason})
        if (!printable(*f)) return makeError("bad_field", "a heartbeat's strings may not hold control characters");
    return hb;
}

HeartbeatPublisher::HeartbeatPublisher(zmq::socket_t& pub, const Clock& clock, const NodeConfig& self,
                                       Millis interval)
    : pub_(pub), clock_(clock), started_(clock.now()) {
    hb_.node = self.name;
    hb_.role = self.role;
    hb_.pid = static_cast<uint64_t>(getpid());
    hb_.endpoint = self.endpoint;
    hb_.intervalMs = static_cast<uint64_t>(interval.count());
}

bool HeartbeatPublisher::publish(uint64_t seq, uint64_t digest) {
    hb_.seq = seq;
    hb_.digest = digest;
    hb_.uptimeMs = static_cast<uint64_t>(toMs(clock_.now() - started_));
    const std::string topic = std::string(kHeartbeatTopic) + hb_.node;
    const std::string bytes = encodeEnvelope(heartbeatEnvelope(hb_));
    return sendFrames(pub_, {topic, bytes});
}

}  // namespace jupiter
