// When a gateway may choose its first route. At start the replicas' first heartbeats arrive one
// by one within an interval; choosing on the first would log a REROUTE (fail-back) for each later
// arrival. So the first choice waits `delay` after the first replica heartbeat (meanwhile queries
// still go to the best live replica). Time comes from the injected Clock.
#pragma once

#include <optional>

#include "common/clock.hpp"

namespace jupiter {

class RouteSettle {
public:
    RouteSettle(const Clock& clock, Millis delay) : clock_(clock), delay_(delay) {}

    // A replica's heartbeat arrived (only the first one counts).
    void onReplicaBeat() {
        if (!firstBeat_) firstBeat_ = clock_.now();
    }
    // Whether the route may be chosen now.
    bool settled() const { return firstBeat_ && clock_.now() - *firstBeat_ >= delay_; }
    // Whether the first replica heartbeat has come and the route may not be chosen yet: time alone
    // will settle it.
    bool settling() const { return firstBeat_ && !settled(); }

private:
    const Clock& clock_;
    Millis delay_;
    std::optional<TimePoint> firstBeat_;
};

}  // namespace jupiter
