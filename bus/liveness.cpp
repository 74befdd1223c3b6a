// Liveness bookkeeping; see liveness.hpp.
#include "bus/liveness.hpp"

#include <fmt/format.h>

namespace jupiter {

std::string_view stateName(NodeState s) {
    switch (s) {
        case NodeState::Unknown: return "UNKNOWN";
        case NodeState::Up: return "UP";
        case NodeState::Down: return "DOWN";
    }
    return "?";
}

Liveness::Liveness(const Clock& clock, int missLimit, int recoveryBeats)
    : clock_(clock), missLimit_(missLimit), recoveryBeats_(recoveryBeats) {}

Millis Liveness::deadline(const Entry& e) const {
    return Millis(static_cast<int64_t>(e.last.intervalMs) * missLimit_);
}

std::optional<LivenessChange> Liveness::setState(const std::string& node, Entry& e, NodeState to,
                                                 std::string reason) {
    if (e.state == to) return std::nullopt;
    LivenessChange c{node, e.state, to, std::move(reason)};
    e.state = to;
    e.changedWallMs = clock_.wallMs();
    return c;
}

std::optional<LivenessChange> Liveness::onHeartbeat(const Heartbeat& hb) {
    Entry& e = nodes_[hb.node];
    const TimePoint now = clock_.now();
    // A restarted process (new pid) starts its run of fresh heartbeats over.
    const bool sameProcess = e.seen && e.last.pid == hb.pid;
    const bool inRow = sameProcess && (now - e.lastAt) <= deadline(e);
    // Every heartbeat arrives once per broker, and a gateway's own pings add pongs: one sign of
    // life per half interval counts toward the run, so that neither shortens the recovery.
    if (!inRow) {
        e.freshInRow = 1;
        e.countedAt = now;
    } else if (now - e.countedAt >= Millis(static_cast<int64_t>(hb.intervalMs) / 2)) {
        ++e.freshInRow;
        e.countedAt = now;
    }
    e.last = hb;
    e.lastAt = now;
    e.seen = true;
    if (e.state == NodeState::Unknown) return setState(hb.node, e, NodeState::Up, "first heartbeat");
    if (e.state == NodeState::Down && e.freshInRow >= recoveryBeats_)
        return setState(hb.node, e, NodeState::Up, fmt::format("{} heartbeats in a row", e.freshInRow));
    return std::nullopt;
}

std::optional<LivenessChange> Liveness::onPong(const std::string& node, uint64_t pid, uint64_t seq,
                                               uint64_t intervalMs) {
    Heartbeat hb;
    if (const Heartbeat* last = this->last(node)) hb = *last;
    else hb.intervalMs = intervalMs;
    hb.node = node;
    hb.pid = pid;
    hb.seq = seq;
    return onHeartbeat(hb);
}

std::optional<LivenessChange> Liveness::markDown(const std::string& node, const std::string& reason) {
    Entry& e = nodes_[node];
    e.freshInRow = 0;
    return setState(node, e, NodeState::Down, reason);
}

std::vector<LivenessChange> Liveness::tick() {
    std::vector<LivenessChange> out;
    const TimePoint now = clock_.now();
    for (auto& [name, e] : nodes_) {
        if (!e.seen || e.state == NodeState::Down) continue;
        const auto age = now - e.lastAt;
        if (age > deadline(e)) {
            e.freshInRow = 0;
            if (auto c = setState(name, e, NodeState::Down, fmt::format("no heartbeat for {} ms", toMs(age))))
                out.push_back(*c);
        }
    }
    return out;
}

void Liveness::refreshAll() {
    const TimePoint now = clock_.now();
    for (auto& [name, e] : nodes_)
        if (e.seen) e.lastAt = now;
}

NodeState Liveness::state(const std::string& node) const {
    auto it = nodes_.find(node);
    return it == nodes_.end() ? NodeState::Unknown : it->second.state;
}

const Heartbeat* Liveness::last(const std::string& node) const {
    auto it = nodes_.find(node);
    return it == nodes_.end() || !it->second.seen ? nullptr : &it->second.last;
}

int64_t Liveness::ageMs(const std::string& node) const {
    auto it = nodes_.find(node);
    if (it == nodes_.end() || !it->second.seen) return -1;
    return toMs(clock_.now() - it->second.lastAt);
}

bool Liveness::onTime(const std::string& node) const {
    auto it = nodes_.find(node);
    if (it == nodes_.end() || !it->second.seen) return false;
    return clock_.now() - it->second.lastAt <= Millis(it->second.last.intervalMs * 3 / 2);
}

bool Liveness::upAndLate() const {
    for (const auto& [name, e] : nodes_)
        if (e.state == NodeState::Up && (!onTime(name) || missLimit_ < 3)) return true;
    return false;
}

int64_t Liveness::sinceMs(const std::string& node) const {
    auto it = nodes_.find(node);
    return it == nodes_.end() ? 0 : it->second.changedWallMs;
}

std::vector<std::string> Liveness::nodes() const {
    std::vector<std::string> out;
    for (const auto& [n, e] : nodes_) out.push_back(n);
    return out;
}

}  // namespace jupiter
