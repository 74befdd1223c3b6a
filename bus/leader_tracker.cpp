// Leader tracking from heartbeats; see leader_tracker.hpp.
#include "bus/leader_tracker.hpp"

namespace jupiter {

void LeaderTracker::onHeartbeat(const Heartbeat& hb, TimePoint now) {
    if (hb.role != Role::Command) return;
    claims_[hb.node] = {hb.epoch, hb.leads(), now};
}

std::optional<std::string> LeaderTracker::leader(TimePoint now) const {
    std::optional<std::string> best;
    uint64_t bestEpoch = 0;
    for (const auto& [node, c] : claims_) {
        if (!c.leads || now - c.at > freshFor_) continue;
        if (!best || c.epoch > bestEpoch) {
            best = node;
            bestEpoch = c.epoch;
        }
    }
    return best;
}

}  // namespace jupiter
