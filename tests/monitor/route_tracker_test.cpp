// The monitor's route tracking, per gateway, driven by a ManualClock.
#include <doctest/doctest.h>

#include "monitor/route_tracker.hpp"

using namespace jupiter;

namespace {

Heartbeat gatewayBeat(const std::string& gateway, const std::string& route, int64_t sinceMs = 0,
                      const std::string& reason = "", uint64_t pid = 7) {
    Heartbeat h;
    h.node = gateway;
    h.pid = pid;
    h.role = Role::Gateway;
    h.route = route;
    h.routeSinceMs = sinceMs;
    h.routeReason = reason;
    return h;
}

}  // namespace

TEST_CASE("route tracker: a gateway with no route yet is no change - its first route is") {
    ManualClock clock(5000);
    RouteTracker t(clock);
    CHECK_FALSE(t.onGatewayBeat(gatewayBeat("gateway", "")).has_value());
    auto first = t.onGatewayBeat(gatewayBeat("gateway", "query-1", 4000, "first route"));
    REQUIRE(first.has_value());
    CHECK(first->gateway == "gateway");
    CHECK(first->from == "none");
    CHECK(first->to == "query-1");
    CHECK(first->reason == "first route");
    CHECK(first->atMs == 4000);
    CHECK_FALSE(t.onGatewayBeat(gatewayBeat("gateway", "query-1", 4000, "first route")).has_value());
    auto away = t.onGatewayBeat(gatewayBeat("gateway", "", 0, "query-1 DOWN"));
    REQUIRE(away.has_value());
    CHECK(away->from == "query-1");
    CHECK(away->to == "none");
    CHECK(away->atMs == 5000);  // no time from the gateway: the monitor's clock
    CHECK(t.route("gateway").empty());
}

TEST_CASE("route tracker: a route already in use when the monitor starts is reported as such - per gateway") {
    ManualClock clock;
    RouteTracker t(clock);
    auto g1 = t.onGatewayBeat(gatewayBeat("gateway-1", "query-2", 10, "query-1 DOWN"));
    REQUIRE(g1.has_value());
    CHECK(g1->reason == "route in use when the monitor started");
    auto g2 = t.onGatewayBeat(gatewayBeat("gateway-2", "query-1", 20, "fail-back"));
    REQUIRE(g2.has_value());
    CHECK(g2->gateway == "gateway-2");
    CHECK(t.route("gateway-1") == "query-2");
    CHECK(t.route("gateway-2") == "query-1");
    auto back = t.onGatewayBeat(gatewayBeat("gateway-1", "query-1", 30, "fail-back"));
    REQUIRE(back.has_value());
    CHECK(back->from == "query-2");
    CHECK(back->reason == "fail-back");
    CHECK(t.route("unknown").empty());
}

TEST_CASE("route tracker: a gateway that started again says so - never an empty reason") {
    ManualClock clock(5000);
    RouteTracker t(clock);
    REQUIRE(t.onGatewayBeat(gatewayBeat("gateway-1", "query-1", 10, "first live replica", 7)));
    // Killed and started again: its first heartbeats have no route and no reason.
    auto lost = t.onGatewayBeat(gatewayBeat("gateway-1", "", 0, "", 8));
    REQUIRE(lost.has_value());
    CHECK(lost->from == "query-1");
    CHECK(lost->to == "none");
    CHECK(lost->reason == "gateway-1 started again (pid 8): no route chosen yet");
    auto chosen = t.onGatewayBeat(gatewayBeat("gateway-1", "query-2", 20, "first live replica", 8));
    REQUIRE(chosen.has_value());
    CHECK(chosen->reason == "first live replica");
    // Started again and at once on the same route: no change to report.
    CHECK_FALSE(t.onGatewayBeat(gatewayBeat("gateway-1", "query-2", 30, "first live replica", 9)).has_value());
    auto quick = t.onGatewayBeat(gatewayBeat("gateway-1", "query-3", 40, "", 10));
    REQUIRE(quick.has_value());
    CHECK(quick->reason == "gateway-1 started again (pid 10): its first route");
    // A change without a reason from the same process still has one.
    auto bare = t.onGatewayBeat(gatewayBeat("gateway-1", "query-1", 50, "", 10));
    REQUIRE(bare.has_value());
    CHECK_FALSE(bare->reason.empty());
}

TEST_CASE("route tracker: a broker's late copies of a gateway's beats replay no route it has left") {
    ManualClock clock(5000);
    RouteTracker t(clock);
    // Three reroutes in one moment, as the beats came through broker-1...
    std::vector<Heartbeat> beats{gatewayBeat("gateway", "query-1", 4000, "first route"),
                                 gatewayBeat("gateway", "query-2", 4100, "query-1 DOWN"),
                                 gatewayBeat("gateway", "query-3", 4100, "query-2 DOWN"),
                                 gatewayBeat("gateway", "", 4100, "no query replica available")};
    int changes = 0;
    for (const auto& b : beats) changes += t.onGatewayBeat(b).has_value() ? 1 : 0;
    CHECK(changes == 4);
    // ...then broker-2's copies of the same beats, late: nothing new.
    for (const auto& b : beats) CHECK_FALSE(t.onGatewayBeat(b).has_value());
    CHECK(t.route("gateway").empty());
    // The next real beat with a route is news again.
    auto back = gatewayBeat("gateway", "query-2", 4300, "query-2 UP");
    back.uptimeMs = 300;
    REQUIRE(t.onGatewayBeat(back).has_value());
    CHECK(t.route("gateway") == "query-2");
}
