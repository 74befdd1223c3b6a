// Which query replica the gateway uses: the first in preference order (query-1, query-2, query-3)
// that is UP and caught up with the head; never one that is DOWN or unknown, or stuck at an event
// it cannot apply (its heartbeat says so), even when the others are down too (no "panic mode"). When no UP replica is caught up, the most advanced UP one serves
// (reads stay available; read-your-writes queries wait on the replica for their sequence).
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bus/liveness.hpp"

namespace jupiter {

struct RouteChange {
    std::string from;   // empty: none
    std::string to;     // empty: none available
    std::string reason; // e.g. "query-1 DOWN", "fail-back", "query-2 caught up"
};

class ReplicaSelector {
public:
    // maxLag: how far behind the head a replica may be and still count as caught up (to be
    // chosen, or failed back to). leaveLag: how far behind the replica in use may fall before the
    // route leaves it; the gap between the two is hysteresis, so a replica that lags for a moment
    // under load does not make the route flap.
    ReplicaSelector(std::vector<std::string> preference, uint64_t maxLag, uint64_t leaveLag = 1000);

    // The replica to use given current liveness and the command node's head sequence, skipping
    // those in `exclude` (replicas already tried for one request).
    std::optional<std::string> choose(const Liveness& live, uint64_t head,
                                      const std::set<std::string>& exclude = {}) const;

    // The replica for an ordinary query: the route in use while it stays eligible (UP, not
    // excluded, within leaveLag of the head), otherwise choose().
    std::optional<std::string> route(const Liveness& live, uint64_t head,
                                     const std::set<std::string>& exclude = {}) const;

    // For routing = "spread": of the replicas that are UP, not excluded and within leaveLag of the
    // head, the one with the fewest requests outstanding (`outstanding`), the preference order
    // breaking ties; when none is, choose().
    std::optional<std::string> spread(const Liveness& live, uint64_t head, const std::set<std::string>& exclude,
                                      const std::function<int(const std::string&)>& outstanding) const;

    // Re-evaluates the route; returns a change when the chosen replica differs from the last one.
    std::optional<RouteChange> update(const Liveness& live, uint64_t head);
    const std::string& current() const { return current_; }
    const std::vector<std::string>& preference() const { return preference_; }
    // Whether `replica` may serve at all: UP, and not stuck at an event it cannot apply.
    static bool serves(const Liveness& live, const std::string& replica);

private:
    std::vector<std::string> preference_;
    uint64_t maxLag_;
    uint64_t leaveLag_;
    std::size_t rank(const std::string& replica) const;
    bool keeps(const Liveness& live, uint64_t head, const std::string& replica) const;
    std::string current_;
};

}  // namespace jupiter
