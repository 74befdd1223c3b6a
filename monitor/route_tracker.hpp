// The monitor's view of each gateway's route, from the gateways' heartbeats (route, since when,
// why): one transition per change, and one for the route found in use when the monitor starts
// (a gateway that has no route yet is not a change). A gateway that started again loses its route
// without giving a reason: the transition says it restarted. Wall times come from the heartbeat
// when the gateway gave one, else from the injected Clock.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "bus/heartbeat.hpp"
#include "common/clock.hpp"

namespace jupiter {

struct RouteTransition {
    int64_t atMs = 0;      // wall time of the change
    std::string gateway;
    std::string from;      // "none" when there was none
    std::string to;        // "none" when no replica is available
    std::string reason;
};

class RouteTracker {
public:
    explicit RouteTracker(const Clock& clock) : clock_(clock) {}

    // A gateway heartbeat; returns the transition it reveals, if any.
    std::optional<RouteTransition> onGatewayBeat(const Heartbeat& hb);
    // The route `gateway` reported last ("" when none or never heard).
    std::string route(const std::string& gateway) const;

private:
    struct Seen {
        std::string route;
        uint64_t pid = 0;  // a new pid: the gateway started again
        // The last beats heard, each once: a beat comes once per broker, and a broker's copies
        // may come after the other's later beats; an old copy is no news (it would replay a
        // route the gateway has already left).
        std::deque<std::string> recent;
    };
    static constexpr std::size_t kRecentBeats = 16;
    static std::string beatKey(const Heartbeat& hb);
    static std::string reasonFor(const Heartbeat& hb, const Seen* before);

    const Clock& clock_;
    std::map<std::string, Seen> routes_;  // gateways heard from: their route and pid
};

}  // namespace jupiter
