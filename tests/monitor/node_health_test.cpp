// The monitor's combined heartbeat + ping-echo judgement, with a ManualClock.
#include <doctest/doctest.h>

#include "monitor/node_health.hpp"

using namespace jupiter;

namespace {
Heartbeat healthHb(const std::string& node) {
    Heartbeat h;
    h.node = node;
    h.role = Role::Query;
    h.pid = 7;
    h.intervalMs = 100;
    return h;
}
}  // namespace

TEST_CASE("node health: UP needs both a heartbeat and an echo") {
    ManualClock clock;
    NodeHealth h(clock, 3, 2, Millis(300));
    h.onHeartbeat(healthHb("query-1"));
    CHECK(h.evaluate().empty());
    auto id = h.pingDue("query-1");
    REQUIRE(id);
    CHECK_FALSE(h.pingDue("query-1"));  // one outstanding at a time
    clock.advance(Millis(1));
    h.onPong("query-1", *id);
    auto up = h.evaluate();
    REQUIRE(up.size() == 1);
    CHECK(up[0].to == NodeState::Up);
    CHECK(h.rttUs("query-1") == 1000);
}

TEST_CASE("node health: heartbeats flowing but no echo (stuck request loop) is DOWN") {
    ManualClock clock;
    NodeHealth h(clock, 3, 2, Millis(300));
    h.onHeartbeat(healthHb("query-1"));
    h.onPong("query-1", *h.pingDue("query-1"));
    h.evaluate();
    h.pingDue("query-1");
    for (int i = 0; i < 3; ++i) {
        clock.advance(Millis(100));
        h.onHeartbeat(healthHb("query-1"));
    }
    CHECK(h.evaluate().empty());
    clock.advance(Millis(1));
    CHECK(h.pingDue("query-1"));  // the old one timed out: mark and send a new one
    auto down = h.evaluate();
    REQUIRE(down.size() == 1);
    CHECK(down[0].to == NodeState::Down);
    CHECK(down[0].reason.find("no echo to ping") == 0);
    CHECK(h.rttUs("query-1") == -1);  // no stale round trip for a node that stopped answering
}

TEST_CASE("node health: silence is DOWN with the heartbeat age - a late echo of an old ping is ignored") {
    ManualClock clock;
    NodeHealth h(clock, 3, 2, Millis(300));
    h.onHeartbeat(healthHb("query-2"));
    auto first = *h.pingDue("query-2");
    h.onPong("query-2", first);
    h.evaluate();
    auto second = *h.pingDue("query-2");
    clock.advance(Millis(301));
    auto down = h.evaluate();
    REQUIRE(down.size() == 1);
    CHECK(down[0].reason == "no heartbeat for 301 ms");
    h.onPong("query-2", first);  // stale id
    CHECK(h.evaluate().empty());
    (void)second;
}

TEST_CASE("node health: a lost probe connection is DOWN at once - an echo after reconnecting brings it back") {
    ManualClock clock;
    NodeHealth h(clock, 3, 2, Millis(300));
    h.onHeartbeat(healthHb("query-1"));
    h.onPong("query-1", *h.pingDue("query-1"));
    REQUIRE(h.evaluate().size() == 1);
    const auto lateId = h.pingDue("query-1");
    REQUIRE(lateId);
    clock.advance(Millis(1));
    h.onConnectionLost("query-1");
    auto down = h.evaluate();
    REQUIRE(down.size() == 1);
    CHECK(down[0].to == NodeState::Down);
    CHECK(down[0].reason == "connection lost");
    h.onPong("query-1", *lateId);  // an echo of a ping sent before the loss proves nothing
    CHECK(h.evaluate().empty());
    CHECK(h.state("query-1") == NodeState::Down);
    // Restarted: heartbeats and a fresh echo.
    for (int i = 0; i < 3; ++i) {
        clock.advance(Millis(100));
        h.onHeartbeat(healthHb("query-1"));
    }
    const auto id = h.pingDue("query-1");
    REQUIRE(id);
    h.onPong("query-1", *id);
    auto up = h.evaluate();
    REQUIRE(up.size() == 1);
    CHECK(up[0].to == NodeState::Up);
}

TEST_CASE("node health: a node not reached yet is no news while it starts - DOWN only once that lasts") {
    ManualClock clock;
    NodeHealth h(clock, 3, 2, Millis(300));
    // The monitor starts first: its pings cannot be sent (no connection yet), heartbeats flow.
    for (int i = 0; i < 5; ++i) {
        h.onHeartbeat(healthHb("gateway-2"));
        if (h.pingDue("gateway-2")) h.onPingUnsent("gateway-2");
        CHECK(h.evaluate().empty());  // not DOWN: it was never up, and nothing was asked of it
        clock.advance(Millis(100));
    }
    const auto id = h.pingDue("gateway-2");  // connected now
    REQUIRE(id);
    h.onPong("gateway-2", *id);
    auto up = h.evaluate();
    REQUIRE(up.size() == 1);
    CHECK(up[0].to == NodeState::Up);

    // A node that never becomes reachable is DOWN once the grace has passed, saying why.
    NodeHealth never(clock, 3, 2, Millis(300));
    std::vector<HealthChange> changes;
    for (int i = 0; i <= NodeHealth::kStartGrace * 3 && changes.empty(); ++i) {
        if (never.pingDue("query-3")) never.onPingUnsent("query-3");
        changes = never.evaluate();
        clock.advance(Millis(100));
    }
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].node == "query-3");
    CHECK(changes[0].to == NodeState::Down);
    CHECK(changes[0].reason.find("no connection to ping it on for 3000 ms") == 0);
}

TEST_CASE("node health: a node connected but not answering yet while it starts is no news - DOWN once that lasts") {
    ManualClock clock;
    NodeHealth h(clock, 3, 2, Millis(300));
    // Its socket is bound (the ping goes out) before its loop answers: 400 ms of unanswered pings.
    std::string outstanding;
    for (int i = 0; i < 5; ++i) {
        h.onHeartbeat(healthHb("gateway-2"));
        if (auto id = h.pingDue("gateway-2")) outstanding = *id;
        CHECK(h.evaluate().empty());  // before the fix: DOWN (no echo to ping for 300 ms)
        clock.advance(Millis(100));
    }
    h.onHeartbeat(healthHb("gateway-2"));
    h.onPong("gateway-2", outstanding);
    auto up = h.evaluate();
    REQUIRE(up.size() == 1);
    CHECK(up[0].to == NodeState::Up);

    // One that never answers at all is DOWN after the grace, saying why.
    NodeHealth mute(clock, 3, 2, Millis(300));
    std::vector<HealthChange> changes;
    for (int i = 0; i <= NodeHealth::kStartGrace * 3 && changes.empty(); ++i) {
        mute.onHeartbeat(healthHb("query-3"));
        mute.pingDue("query-3");
        changes = mute.evaluate();
        clock.advance(Millis(100));
    }
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].to == NodeState::Down);
    CHECK(changes[0].reason.find("no echo to ping for") == 0);
}

TEST_CASE("node health: a node that echoed before and cannot be pinged now is DOWN at once") {
    ManualClock clock;
    NodeHealth h(clock, 3, 2, Millis(300));
    h.onHeartbeat(healthHb("query-1"));
    h.onPong("query-1", *h.pingDue("query-1"));
    REQUIRE(h.evaluate().size() == 1);
    clock.advance(Millis(100));
    h.onHeartbeat(healthHb("query-1"));
    REQUIRE(h.pingDue("query-1"));
    h.onPingUnsent("query-1");
    auto down = h.evaluate();
    REQUIRE(down.size() == 1);
    CHECK(down[0].to == NodeState::Down);
    CHECK(down[0].reason == "no connection to ping it on");
}

TEST_CASE("node health: a node whose heartbeats are on time is pinged once per quiet interval - a late one at once") {
    ManualClock clock;
    NodeHealth h(clock, 3, 2, Millis(300), Millis(1000));
    h.onHeartbeat(healthHb("query-1"));
    h.onPong("query-1", *h.pingDue("query-1"));
    REQUIRE(h.evaluate().size() == 1);
    int pings = 0;
    for (int i = 0; i < 20; ++i) {  // two seconds: heartbeats every 100 ms, the ping timer too
        clock.advance(Millis(100));
        h.onHeartbeat(healthHb("query-1"));
        if (auto id = h.pingDue("query-1")) {
            ++pings;
            h.onPong("query-1", *id);
        }
    }
    CHECK(pings == 2);
    CHECK(h.evaluate().empty());
    // Stopped: no heartbeat for 200 ms (later than 150 ms) - pinged at once, the echo does not come.
    clock.advance(Millis(200));
    const auto id = h.pingDue("query-1");
    REQUIRE(id);
    clock.advance(Millis(110));
    auto down = h.evaluate();
    REQUIRE(down.size() == 1);
    CHECK(down[0].to == NodeState::Down);
    CHECK(down[0].reason.find("no heartbeat for") == 0);
    // A node never heard on the bus is pinged at every call (nothing says it is on time).
    CHECK(h.pingDue("query-2"));
}
