// Route tracking; see route_tracker.hpp.
#include "monitor/route_tracker.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace jupiter {

std::string RouteTracker::beatKey(const Heartbeat& hb) {
    return fmt::format("{}/{}/{}/{}/{}", hb.pid, hb.uptimeMs, hb.routeSinceMs, hb.route, hb.routeReason);
}

std::optional<RouteTransition> RouteTracker::onGatewayBeat(const Heartbeat& hb) {
    auto it = routes_.find(hb.node);
    const bool seen = it != routes_.end();
    const std::string key = beatKey(hb);
    if (seen) {
        auto& recent = it->second.recent;
        if (std::find(recent.begin(), recent.end(), key) != recent.end()) return std::nullopt;  // a copy
        recent.push_back(key);
        if (recent.size() > kRecentBeats) recent.pop_front();
    }
    if (seen && it->second.route == hb.route && it->second.pid == hb.pid) return std::nullopt;
    std::optional<RouteTransition> out;
    if (seen ? it->second.route != hb.route : !hb.route.empty()) {
        RouteTransition t;
        t.atMs = hb.routeSinceMs > 0 ? hb.routeSinceMs : clock_.wallMs();
        t.gateway = hb.node;
        t.from = seen && !it->second.route.empty() ? it->second.route : "none";
        t.to = hb.route.empty() ? "none" : hb.route;
        t.reason = reasonFor(hb, seen ? &it->second : nullptr);
        out = std::move(t);
    }
    auto& now = routes_[hb.node];
    now.route = hb.route;
    now.pid = hb.pid;
    if (!seen) now.recent.push_back(key);
    return out;
}

std::string RouteTracker::reasonFor(const Heartbeat& hb, const Seen* before) {
    if (!before) return "route in use when the monitor started";
    // A gateway that started again has forgotten its route (and the reason it had one).
    if (before->pid != hb.pid)
        return hb.route.empty() ? fmt::format("{} started again (pid {}): no route chosen yet", hb.node, hb.pid)
                                : fmt::format("{} started again (pid {}): {}", hb.node, hb.pid,
                                              hb.routeReason.empty() ? "its first route" : hb.routeReason);
    return hb.routeReason.empty() ? "no reason given by the gateway" : hb.routeReason;
}

std::string RouteTracker::route(const std::string& gateway) const {
    auto it = routes_.find(gateway);
    return it == routes_.end() ? std::string() : it->second.route;
}

}  // namespace jupiter
