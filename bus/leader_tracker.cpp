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
    c.names = hb.leader;
    c.at = now;
    if (hb.leads()) c.seq = hb.seq;
    const auto current = leader(now);
    if (!current) return false;
    const Claim& lead = claims_.at(*current);
    if (*current != headLeader_ || lead.epoch != headEpoch_) {
        // A new leader (its own heartbeat, or the standby's that seconds it): its latest word.
        headLeader_ = *current;
        headEpoch_ = lead.epoch;
        head_ = lead.seq;  // even if an earlier leader claimed more
        return true;
    }
    if (hb.node != *current || !hb.leads()) return false;
    head_ = std::max(head_, hb.seq);  // one leader's heartbeats may arrive out of order (two brokers)
    return true;
}

bool LeaderTracker::secondedBy(const std::string& node, const Claim& c, TimePoint now) const {
    if (!seconded_) return true;
    for (const auto& [other, o] : claims_)
        if (other != node && !o.leads && o.names == node && o.epoch == c.epoch && now - o.at <= freshFor_) return true;
    return false;
}

std::optional<std::string> LeaderTracker::leader(TimePoint now) const {
    std::optional<std::string> best;
    const Claim* bestClaim = nullptr;
    for (const auto& [node, c] : claims_) {
        if (!c.leads || now - c.at > freshFor_ || !secondedBy(node, c, now)) continue;
        if (!bestClaim || c.epoch > bestClaim->epoch || (c.epoch == bestClaim->epoch && c.since < bestClaim->since)) {
            best = node;
            bestClaim = &c;
        }
    }
    return best;
}

std::optional<LeaderTracker::Unseconded> LeaderTracker::unseconded(TimePoint now) const {
    std::optional<Unseconded> out;
    for (const auto& [node, c] : claims_)
        if (c.leads && now - c.at <= freshFor_ && !secondedBy(node, c, now) && (!out || c.epoch > out->epoch))
            out = Unseconded{node, c.epoch};
    return out;
}

}  // namespace jupiter
