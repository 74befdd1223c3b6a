// Leader tracking from heartbeats; see leader_tracker.hpp.
#include "bus/leader_tracker.hpp"

#include <algorithm>

namespace jupiter {

bool LeaderTracker::onHeartbeat(const Heartbeat& hb, TimePoint now) {
    if (hb.role != Role::Command) return false;
    auto [it, first] = claims_.try_emplace(hb.node);
    Claim& c = it->second;
    if (first || c.epoch != hb.epoch || c.leads != hb.leads() || now - c.at > freshFor_) c.since = now;
    c.epoch = hb.epoch;
    c.leads = hb.leads();
    c.at = now;
    const auto current = leader(now);
    if (!hb.leads() || !current || *current != hb.node) return false;
    if (hb.node != headLeader_ || hb.epoch != headEpoch_) {
        headLeader_ = hb.node;
        headEpoch_ = hb.epoch;
        head_ = hb.seq;  // the new leader's word, even if an earlier one claimed more
    } else {
        head_ = std::max(head_, hb.seq);  // one leader's heartbeats may arrive out of order (two brokers)
    }
    return true;
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
