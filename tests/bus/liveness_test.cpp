// Liveness and replica choice, driven by a ManualClock: every transition, no sleeping.
#include <doctest/doctest.h>

#include "bus/liveness.hpp"
#include "bus/replica_selector.hpp"

using namespace jupiter;

namespace {

Heartbeat hb(const std::string& node, uint64_t seq = 0, uint64_t pid = 100) {
    Heartbeat h;
    h.node = node;
    h.role = node.rfind("query", 0) == 0 ? Role::Query : parseRole(node).value_or(Role::Monitor);
    h.pid = pid;
    h.seq = seq;
    h.intervalMs = 100;
    return h;
}

}  // namespace

TEST_CASE("liveness: first heartbeat makes a node UP - silence makes it DOWN after the miss limit") {
    ManualClock clock;
    Liveness live(clock, 3, 3);
    CHECK(live.state("query-1") == NodeState::Unknown);
    auto c = live.onHeartbeat(hb("query-1"));
    REQUIRE(c);
    CHECK(c->to == NodeState::Up);
    clock.advance(Millis(300));
    CHECK(live.tick().empty());  // exactly at the deadline: still up
    clock.advance(Millis(1));
    auto down = live.tick();
    REQUIRE(down.size() == 1);
    CHECK(down[0].to == NodeState::Down);
    CHECK(down[0].reason == "no heartbeat for 301 ms");
    CHECK(live.tick().empty());  // reported once
}

TEST_CASE("liveness: a DOWN node needs several fresh heartbeats in a row to be UP again") {
    ManualClock clock;
    Liveness live(clock, 3, 3);
    live.onHeartbeat(hb("query-1"));
    clock.advance(Millis(400));
    live.tick();
    CHECK(live.state("query-1") == NodeState::Down);
    CHECK_FALSE(live.onHeartbeat(hb("query-1")));
    clock.advance(Millis(100));
    CHECK_FALSE(live.onHeartbeat(hb("query-1")));
    clock.advance(Millis(100));
    auto up = live.onHeartbeat(hb("query-1"));
    REQUIRE(up);
    CHECK(up->to == NodeState::Up);
}

TEST_CASE("liveness: a gap in the recovering run starts the count over (hysteresis)") {
    ManualClock clock;
    Liveness live(clock, 3, 3);
    live.onHeartbeat(hb("query-1"));
    live.markDown("query-1", "connection lost");
    clock.advance(Millis(100));
    live.onHeartbeat(hb("query-1"));
    clock.advance(Millis(100));
    live.onHeartbeat(hb("query-1"));
    clock.advance(Millis(500));  // flapped: silence longer than the deadline
    CHECK_FALSE(live.onHeartbeat(hb("query-1")));
    clock.advance(Millis(100));
    CHECK_FALSE(live.onHeartbeat(hb("query-1")));
    clock.advance(Millis(100));
    CHECK(live.onHeartbeat(hb("query-1")));
}

TEST_CASE("liveness: hard evidence marks DOWN at once - and a restarted process (new pid) counts from one") {
    ManualClock clock;
    Liveness live(clock, 3, 2);
    live.onHeartbeat(hb("query-2", 0, 1));
    auto c = live.markDown("query-2", "connection lost");
    REQUIRE(c);
    CHECK(c->reason == "connection lost");
    CHECK_FALSE(live.markDown("query-2", "again"));
    clock.advance(Millis(50));
    CHECK_FALSE(live.onHeartbeat(hb("query-2", 0, 2)));
    clock.advance(Millis(100));
    CHECK(live.onHeartbeat(hb("query-2", 0, 2)));
}

TEST_CASE("replica selector: preference order - never a DOWN replica - fail-back when caught up") {
    ManualClock clock;
    Liveness live(clock, 3, 1);
    ReplicaSelector sel({"query-1", "query-2", "query-3"}, 0, 0);
    CHECK_FALSE(sel.choose(live, 0));
    auto none = sel.update(live, 0);
    CHECK_FALSE(none);  // still nothing to route to

    for (auto n : {"query-1", "query-2", "query-3"}) live.onHeartbeat(hb(n, 10));
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
    live.onHeartbeat(hb("query-1", 5, 200));
    CHECK(sel.update(live, 10)->to == "query-1");
    // ...and when query-2 (caught up) is back, it is preferred over a lagging query-1.
    live.onHeartbeat(hb("query-2", 10, 201));
    auto r2 = sel.update(live, 10);
    REQUIRE(r2);
    CHECK(r2->to == "query-2");
    CHECK(r2->reason == "query-1 behind the head");
    // Once query-1 catches up, fail-back.
    live.onHeartbeat(hb("query-1", 10, 200));
    auto back = sel.update(live, 10);
    REQUIRE(back);
    CHECK(back->to == "query-1");
    CHECK(back->reason == "fail-back");
}

TEST_CASE("replica selector: excluded replicas are skipped for one request") {
    ManualClock clock;
    Liveness live(clock, 3, 1);
    ReplicaSelector sel({"query-1", "query-2", "query-3"}, 0);
    for (auto n : {"query-1", "query-2", "query-3"}) live.onHeartbeat(hb(n));
    CHECK(sel.choose(live, 0, {"query-1"}) == "query-2");
    CHECK(sel.choose(live, 0, {"query-1", "query-2"}) == "query-3");
    CHECK_FALSE(sel.choose(live, 0, {"query-1", "query-2", "query-3"}));
}

TEST_CASE("liveness: refreshAll gives fresh deadlines without changing states") {
    ManualClock clock;
    Liveness live(clock, 3, 1);
    live.onHeartbeat(hb("query-1"));
    clock.advance(Millis(250));
    live.refreshAll();
    clock.advance(Millis(250));
    CHECK(live.tick().empty());
    CHECK(live.isUp("query-1"));
    clock.advance(Millis(51));
    CHECK(live.tick().size() == 1);
}

TEST_CASE("replica selector: the replica in use is kept while it is only a little behind (hysteresis)") {
    ManualClock clock;
    Liveness live(clock, 3, 1);
    ReplicaSelector sel({"query-1", "query-2", "query-3"}, 0, 100);
    for (auto n : {"query-1", "query-2", "query-3"}) live.onHeartbeat(hb(n, 1000));
    REQUIRE(sel.update(live, 1000)->to == "query-1");
    live.onHeartbeat(hb("query-1", 950));  // 50 behind under load: stays
    CHECK_FALSE(sel.update(live, 1000));
    CHECK(sel.route(live, 1000) == "query-1");
    CHECK(sel.choose(live, 1000) == "query-2");  // a strict choice would have moved
    live.onHeartbeat(hb("query-1", 850));  // 150 behind: leaves
    auto away = sel.update(live, 1000);
    REQUIRE(away);
    CHECK(away->to == "query-2");
    CHECK(away->reason == "query-1 behind the head");
    live.onHeartbeat(hb("query-1", 990));  // back within reach but not caught up: no fail-back yet
    CHECK_FALSE(sel.update(live, 1000));
    live.onHeartbeat(hb("query-1", 1000));
    CHECK(sel.update(live, 1000)->reason == "fail-back");
    CHECK(sel.route(live, 1000, {"query-1"}) == "query-2");
}

TEST_CASE("liveness: copies of a heartbeat (one per broker) and pongs count once per half interval") {
    ManualClock clock;
    Liveness live(clock, 3, 3);
    live.onHeartbeat(hb("query-1"));
    live.markDown("query-1", "connection lost");
    for (int beat = 0; beat < 2; ++beat) {
        clock.advance(Millis(100));
        CHECK_FALSE(live.onHeartbeat(hb("query-1")));             // via broker-1
        CHECK_FALSE(live.onHeartbeat(hb("query-1")));             // the same, via broker-2
        CHECK_FALSE(live.onPong("query-1", 100, 0, 100));         // our own ping's answer
    }
    clock.advance(Millis(100));
    auto up = live.onPong("query-1", 100, 7, 100);  // the third sign of life a whole interval apart
    REQUIRE(up);
    CHECK(up->to == NodeState::Up);
    REQUIRE(live.last("query-1"));
    CHECK(live.last("query-1")->seq == 7);
}

TEST_CASE("liveness: a pong alone makes a node never heard of on the bus UP") {
    ManualClock clock;
    Liveness live(clock, 3, 3);
    auto c = live.onPong("query-2", 42, 10, 100);
    REQUIRE(c);
    CHECK(c->to == NodeState::Up);
    CHECK(live.last("query-2")->intervalMs == 100);
    clock.advance(Millis(301));
    CHECK(live.tick().size() == 1);  // and silence takes it down as usual
}
