// The gateway's choice of replica over Liveness, driven by a ManualClock: no sleeping.
#include <doctest/doctest.h>

#include "gateway/replica_selector.hpp"
#include "tests/bus/beats.hpp"

using namespace jupiter;
using jupiter::testing::beatOf;

TEST_CASE("replica selector: preference order - never a DOWN replica - fail-back when caught up") {
    ManualClock clock;
    Liveness live(clock, 3, 1);
    ReplicaSelector sel({"query-1", "query-2", "query-3"}, 0, 0);
    CHECK_FALSE(sel.choose(live, 0));
    auto none = sel.update(live, 0);
    CHECK_FALSE(none);  // still nothing to route to

    for (auto n : {"query-1", "query-2", "query-3"}) live.onHeartbeat(beatOf(n, 10));
    auto first = sel.update(live, 10);
    REQUIRE(first);
    CHECK(first->to == "query-1");
    CHECK(first->reason == "first live replica");

    live.markDown("query-1", "connection lost");
    auto r1 = sel.update(live, 10);
    REQUIRE(r1);
    CHECK(r1->from == "query-1");
    CHECK(r1->to == "query-2");
    CHECK(r1->reason == "query-1 DOWN");

    live.markDown("query-2", "connection lost");
    CHECK(sel.update(live, 10)->to == "query-3");
    live.markDown("query-3", "connection lost");
    auto gone = sel.update(live, 10);
    REQUIRE(gone);
    CHECK(gone->to.empty());
    CHECK_FALSE(sel.choose(live, 10));  // no panic mode

    // query-1 returns but is behind: query-1 serves only because nothing better is up...
    clock.advance(Millis(10));
    live.onHeartbeat(beatOf("query-1", 5, 200));
    CHECK(sel.update(live, 10)->to == "query-1");
    // ...and when query-2 (caught up) is back, it is preferred over a lagging query-1.
    live.onHeartbeat(beatOf("query-2", 10, 201));
    auto r2 = sel.update(live, 10);
    REQUIRE(r2);
    CHECK(r2->to == "query-2");
    CHECK(r2->reason == "query-1 behind the head");
    // Once query-1 catches up, fail-back.
    live.onHeartbeat(beatOf("query-1", 10, 200));
    auto back = sel.update(live, 10);
    REQUIRE(back);
    CHECK(back->to == "query-1");
    CHECK(back->reason == "fail-back");
}

TEST_CASE("replica selector: excluded replicas are skipped for one request") {
    ManualClock clock;
    Liveness live(clock, 3, 1);
    ReplicaSelector sel({"query-1", "query-2", "query-3"}, 0);
    for (auto n : {"query-1", "query-2", "query-3"}) live.onHeartbeat(beatOf(n));
    CHECK(sel.choose(live, 0, {"query-1"}) == "query-2");
    CHECK(sel.choose(live, 0, {"query-1", "query-2"}) == "query-3");
    CHECK_FALSE(sel.choose(live, 0, {"query-1", "query-2", "query-3"}));
}

TEST_CASE("replica selector: the replica in use is kept while it is only a little behind (hysteresis)") {
    ManualClock clock;
    Liveness live(clock, 3, 1);
    ReplicaSelector sel({"query-1", "query-2", "query-3"}, 0, 100);
    for (auto n : {"query-1", "query-2", "query-3"}) live.onHeartbeat(beatOf(n, 1000));
    REQUIRE(sel.update(live, 1000)->to == "query-1");
    live.onHeartbeat(beatOf("query-1", 950));  // 50 behind under load: stays
    CHECK_FALSE(sel.update(live, 1000));
    CHECK(sel.route(live, 1000) == "query-1");
    CHECK(sel.choose(live, 1000) == "query-2");  // a strict choice would have moved
    live.onHeartbeat(beatOf("query-1", 850));  // 150 behind: leaves
    auto away = sel.update(live, 1000);
    REQUIRE(away);
    CHECK(away->to == "query-2");
    CHECK(away->reason == "query-1 behind the head");
    live.onHeartbeat(beatOf("query-1", 990));  // back within reach but not caught up: no fail-back yet
    CHECK_FALSE(sel.update(live, 1000));
    live.onHeartbeat(beatOf("query-1", 1000));
    CHECK(sel.update(live, 1000)->reason == "fail-back");
    CHECK(sel.route(live, 1000, {"query-1"}) == "query-2");
}
