// Combined heartbeat + ping-echo health; see node_health.hpp.
#include "monitor/node_health.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace jupiter {

NodeHealth::NodeHealth(const Clock& clock, int missLimit, int recoveryBeats, Millis pingTimeout, Millis quietEvery)
    : clock_(clock), live_(clock, missLimit, recoveryBeats), pingTimeout_(pingTimeout), quietEvery_(quietEvery) {}

void NodeHealth::onHeartbeat(const Heartbeat& hb) { live_.onHeartbeat(hb); }

std::optional<std::string> NodeHealth::pingDue(const std::string& node) {
    Probe& p = probes_[node];
    const TimePoint now = clock_.now();
    if (!p.firstAskedAt) p.firstAskedAt = now;
    // Nothing in doubt: the echo path is checked now and then, not at every heartbeat. A node that
    // stops (its heartbeats late) is pinged at every call again, before it is judged DOWN.
    if (p.outstandingId.empty() && p.ok && now - p.sentAt < quietEvery_ && live_.onTime(node)) return std::nullopt;
    if (!p.outstandingId.empty()) {
        const auto waited = now - p.sentAt;
        if (waited < pingTimeout_) return std::nullopt;
        const bool starting = !p.everAnswered && now - *p.firstAskedAt < pingTimeout_ * kStartGrace;
        if (!starting) {
            p.ok = false;
            p.failReason = fmt::format("no echo to ping for {} ms", toMs(waited));
        }
    }
    p.outstandingId = fmt::format("ping-{}-{}", node, ++p.counter);
    p.sentAt = now;
    return p.outstandingId;
}

void NodeHealth::onPong(const std::string& node, const std::string& id) {
    auto it = probes_.find(node);
    if (it == probes_.end() || it->second.outstandingId != id) return;  // late echo of an old ping
    Probe& p = it->second;
    p.rttUs = std::chrono::duration_cast<Micros>(clock_.now() - p.sentAt).count();
    p.outstandingId.clear();
    p.ok = true;
    p.everAnswered = true;
    p.unreachableSince.reset();
}

void NodeHealth::onPingUnsent(const std::string& node) {
    Probe& p = probes_[node];
    p.outstandingId.clear();
    if (p.everAnswered) {
        p.ok = false;
        p.failReason = "no connection to ping it on";
        return;
    }
    const TimePoint now = clock_.now();
    if (!p.unreachableSince) p.unreachableSince = now;
    const auto waited = now - *p.unreachableSince;
    if (waited >= pingTimeout_ * kStartGrace) {
        p.ok = false;
        p.failReason = fmt::format("no connection to ping it on for {} ms (not running, or its endpoint unreachable)",
                                   toMs(waited));
    }
}

void NodeHealth::onConnectionLost(const std::string& node) {
    Probe& p = probes_[node];
    p.outstandingId.clear();
    p.ok = false;
    p.failReason = "connection lost";
}

NodeState NodeHealth::state(const std::string& node) const {
    const NodeState hb = live_.state(node);
    auto it = probes_.find(node);
    const bool pingOk = it != probes_.end() && it->second.ok;
    const bool pingFailed = it != probes_.end() && !it->second.ok && !it->second.failReason.empty();
    if (hb == NodeState::Up && pingOk) return NodeState::Up;
    if (hb == NodeState::Down || pingFailed) return NodeState::Down;
    return hb == NodeState::Up ? reported_.count(node) ? reported_.at(node) : NodeState::Unknown : hb;
}

int64_t NodeHealth::rttUs(const std::string& node) const {
    auto it = probes_.find(node);
    // A round trip is only news while the node still echoes: a dead node shows none, not its last.
    return it == probes_.end() || !it->second.ok ? -1 : it->second.rttUs;
}

std::vector<HealthChange> NodeHealth::evaluate() {
    live_.tick();
    std::vector<HealthChange> out;
    std::vector<std::string> names = live_.nodes();
    for (const auto& [n, p] : probes_)
        if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    for (const auto& n : names) {
        const NodeState s = state(n);
        auto& last = reported_[n];
        if (s == last || s == NodeState::Unknown) continue;
        std::string reason;
        if (s == NodeState::Down) {
            const int64_t age = live_.ageMs(n);
            if (live_.state(n) == NodeState::Down)
                reason = age >= 0 ? fmt::format("no heartbeat for {} ms", age) : "no heartbeat";
            else
                reason = probes_[n].failReason;
        }
        last = s;
        out.push_back({n, s, reason});
    }
    return out;
}

}  // namespace jupiter
