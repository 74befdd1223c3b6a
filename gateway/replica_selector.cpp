// Replica choice; see replica_selector.hpp.
#include "gateway/replica_selector.hpp"

#include <fmt/format.h>

namespace jupiter {

ReplicaSelector::ReplicaSelector(std::vector<std::string> preference, uint64_t maxLag, uint64_t leaveLag)
    : preference_(std::move(preference)), maxLag_(maxLag), leaveLag_(std::max(maxLag, leaveLag)) {}

std::size_t ReplicaSelector::rank(const std::string& replica) const {
    for (std::size_t i = 0; i < preference_.size(); ++i)
        if (preference_[i] == replica) return i;
    return preference_.size();
}

bool ReplicaSelector::serves(const Liveness& live, const std::string& replica) {
    if (!live.isUp(replica)) return false;
    const Heartbeat* hb = live.last(replica);
    return !hb || !hb->stuck();
}

bool ReplicaSelector::keeps(const Liveness& live, uint64_t head, const std::string& replica) const {
    if (replica.empty() || !serves(live, replica)) return false;
    const Heartbeat* hb = live.last(replica);
    return (hb ? hb->seq : 0) + leaveLag_ >= head;
}

std::optional<std::string> ReplicaSelector::route(const Liveness& live, uint64_t head,
                                                  const std::set<std::string>& exclude) const {
    if (!exclude.count(current_) && keeps(live, head, current_)) return current_;
    return choose(live, head, exclude);
}

std::optional<std::string> ReplicaSelector::spread(const Liveness& live, uint64_t head,
                                                   const std::set<std::string>& exclude,
                                                   const std::function<int(const std::string&)>& outstanding) const {
    const std::string* best = nullptr;
    int bestLoad = 0;
    for (const auto& r : preference_) {
        if (exclude.count(r) || !keeps(live, head, r)) continue;
        const int load = outstanding(r);
        if (!best || load < bestLoad) {
            best = &r;
            bestLoad = load;
        }
    }
    if (best) return *best;
    return choose(live, head, exclude);
}

std::optional<std::string> ReplicaSelector::choose(const Liveness& live, uint64_t head,
                                                   const std::set<std::string>& exclude) const {
    const std::string* best = nullptr;
    uint64_t bestSeq = 0;
    for (const auto& r : preference_) {
        if (exclude.count(r) || !serves(live, r)) continue;
        const Heartbeat* hb = live.last(r);
        const uint64_t seq = hb ? hb->seq : 0;
        if (seq + maxLag_ >= head) return r;
        if (!best || seq > bestSeq) {
            best = &r;
            bestSeq = seq;
        }
    }
    if (best) return *best;
    return std::nullopt;
}

std::optional<RouteChange> ReplicaSelector::update(const Liveness& live, uint64_t head) {
    std::string next = choose(live, head).value_or("");
    // Stay on a replica that is only a little behind, unless a better-ranked one is caught up.
    if (next != current_ && keeps(live, head, current_) && (next.empty() || rank(next) > rank(current_)))
        next = current_;
    if (next == current_) return std::nullopt;
    RouteChange c{current_, next, ""};
    if (next.empty())
        c.reason = "no query replica available";
    else if (current_.empty())
        c.reason = "first live replica";
    else if (rank(next) < rank(current_))
        c.reason = "fail-back";
    else if (!live.isUp(current_))
        c.reason = fmt::format("{} {}", current_, stateName(live.state(current_)));
    else if (!serves(live, current_))
        c.reason = fmt::format("{} {}", current_, live.last(current_)->stuckText());
    else
        c.reason = fmt::format("{} behind the head", current_);
    current_ = next;
    return c;
}

}  // namespace jupiter
