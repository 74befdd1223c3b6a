// Route tracking; see route_tracker.hpp.
#include "bus/route_tracker.hpp"

namespace jupiter {

std::optional<RouteTransition> RouteTracker::onGatewayBeat(const Heartbeat& hb) {
    auto it = routes_.find(hb.node);
    const bool seen = it != routes_.end();
    if (seen && it->second == hb.route) return std::nullopt;
    std::optional<RouteTransition> out;
    if (seen || !hb.route.empty()) {
        RouteTransition t;
        t.atMs = hb.routeSinceMs > 0 ? hb.routeSinceMs : clock_.wallMs();
        t.gateway = hb.node;
        t.from = seen && !it->second.empty() ? it->second : "none";
        t.to = hb.route.empty() ? "none" : hb.route;
        t.reason = seen ? hb.routeReason : "route in use when the monitor started";
        out = std::move(t);
    }
    routes_[hb.node] = hb.route;
    return out;
}

std::string RouteTracker::route(const std::string& gateway) const {
    auto it = routes_.find(gateway);
    return it == routes_.end() ? std::string() : it->second;
}

}  // namespace jupiter
