// The leader's head; see leader_head.hpp.
#include "bus/leader_head.hpp"

#include <algorithm>

namespace jupiter {

bool LeaderHead::onHeartbeat(const Heartbeat& hb, TimePoint now) {
    if (hb.role != Role::Command) return false;
    tracker_.onHeartbeat(hb, now);
    const auto leader = tracker_.leader(now);
    if (!hb.leads() || !leader || *leader != hb.node) return false;
    if (hb.node != leader_ || hb.epoch != epoch_) {
        leader_ = hb.node;
        epoch_ = hb.epoch;
        head_ = hb.seq;  // the new leader's word, even if an earlier one claimed more
    } else {
        head_ = std::max(head_, hb.seq);  // one leader's heartbeats may arrive out of order (two brokers)
    }
    return true;
}

}  // namespace jupiter
