// Leader tracking from heartbeats; see leader_tracker.hpp.
#include "bus/leader_tracker.hpp"

namespace jupiter {

void LeaderTracker::onHeartbeat(const Heartbeat& hb, TimePoint now) {
    if (hb.role != Role::Command) return;
    auto [it, first] = claims_.try_emplace(hb.node);
    Claim& c = it->second;
    if (first || c.epoch != hb.epoch || c.leads != hb.leads() || now - c.at > freshFor_) c.since = now;
    c.epoch = hb.epoch;
    c.leads = hb.leads();
    c.at = now;
}

std::optional<std::string> LeaderTracker::leader(TimePoint now) const {
    std::optional<std::string> best;
    const Claim* bestClaim = nullptr;
    for (const auto& [node, c] : claims_) {
        if (!c.leads || now - c.at > freshFor_) continue;
        if (!bestClaim || c.epoch > bestClaim->epoch || (c.epoch == bestClaim->epoch && c.since < bestClaim->since)) {
            best = node;
            bestClaim = &c;
        }
    }
    return best;
}

}  // namespace jupiter
