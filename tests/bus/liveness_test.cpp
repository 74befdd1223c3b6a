// Liveness, driven by a ManualClock: every transition, no sleeping.
#include <doctest/doctest.h>

#include "bus/liveness.hpp"
#include "tests/bus/beats.hpp"

using namespace jupiter;
using jupiter::testing::beatOf;

TEST_CASE("liveness: first heartbeat makes a node UP - silence makes it DOWN after the miss limit") {
    ManualClock clock;
    Liveness live(clock, 3, 3);
    CHECK(live.state("query-1") == NodeState::Unknown);
    auto c = live.onHeartbeat(beatOf("query-1"));
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
    live.onHeartbeat(beatOf("query-1"));
    clock.advance(Millis(400));
    live.tick();
    CHECK(live.state("query-1") == NodeState::Down);
    CHECK_FALSE(live.onHeartbeat(beatOf("query-1")));
    clock.advance(Millis(100));
    CHECK_FALSE(live.onHeartbeat(beatOf("query-1")));
    clock.advance(Millis(100));
    auto up = live.onHeartbeat(beatOf("query-1"));
    REQUIRE(up);
    CHECK(up->to == NodeState::Up);
}

TEST_CASE("liveness: a gap in the recovering run starts the count over (hysteresis)") {
    ManualClock clock;
    Liveness live(clock, 3, 3);
    live.onHeartbeat(beatOf("query-1"));
    live.markDown("query-1", "connection lost");
    clock.advance(Millis(100));
    live.onHeartbeat(beatOf("query-1"));
    clock.advance(Millis(100));
    live.onHeartbeat(beatOf("query-1"));
    clock.advance(Millis(500));  // flapped: silence longer than the deadline
    CHECK_FALSE(live.onHeartbeat(beatOf("query-1")));
    clock.advance(Millis(100));
    CHECK_FALSE(live.onHeartbeat(beatOf("query-1")));
    clock.advance(Millis(100));
    CHECK(live.onHeartbeat(beatOf("query-1")));
}

TEST_CASE("liveness: hard evidence marks DOWN at once - and a restarted process (new pid) counts from one") {
    ManualClock clock;
    Liveness live(clock, 3, 2);
    live.onHeartbeat(beatOf("query-2", 0, 1));
    auto c = live.markDown("query-2", "connection lost");
    REQUIRE(c);
    CHECK(c->reason == "connection lost");
    CHECK_FALSE(live.markDown("query-2", "again"));
    clock.advance(Millis(50));
    CHECK_FALSE(live.onHeartbeat(beatOf("query-2", 0, 2)));
    clock.advance(Millis(100));
    CHECK(live.onHeartbeat(beatOf("query-2", 0, 2)));
}

TEST_CASE("liveness: refreshAll gives fresh deadlines without changing states") {
    ManualClock clock;
    Liveness live(clock, 3, 1);
    live.onHeartbeat(beatOf("query-1"));
    clock.advance(Millis(250));
    live.refreshAll();
    clock.advance(Millis(250));
    CHECK(live.tick().empty());
    CHECK(live.isUp("query-1"));
    clock.advance(Millis(51));
    CHECK(live.tick().size() == 1);
}

TEST_CASE("liveness: copies of a heartbeat (one per broker) and pongs count once per half interval") {
    ManualClock clock;
    Liveness live(clock, 3, 3);
    live.onHeartbeat(beatOf("query-1"));
    live.markDown("query-1", "connection lost");
    for (int beat = 0; beat < 2; ++beat) {
        clock.advance(Millis(100));
        CHECK_FALSE(live.onHeartbeat(beatOf("query-1")));             // via broker-1
        CHECK_FALSE(live.onHeartbeat(beatOf("query-1")));             // the same, via broker-2
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

TEST_CASE("liveness: on time while the last sign of life is within one and a half of the node's own intervals") {
    ManualClock clock;
    Liveness live(clock, 3, 3);
    CHECK_FALSE(live.onTime("query-1"));  // never heard of
    auto slow = beatOf("query-1");
    slow.intervalMs = 200;
    live.onHeartbeat(slow);
    CHECK(live.onTime("query-1"));
    clock.advance(Millis(300));
    CHECK(live.onTime("query-1"));  // its interval, not another's
    clock.advance(Millis(1));
    CHECK_FALSE(live.onTime("query-1"));
    live.onPong("query-1", 100, 0, 100);  // an answer to our ping is a sign of life too
    CHECK(live.onTime("query-1"));
}

TEST_CASE("liveness: up and late while a node that is UP is not on time - every UP node when the miss limit is "
          "under 3") {
    ManualClock clock;
    Liveness live(clock, 3, 1);
    CHECK_FALSE(live.upAndLate());  // nobody known
    live.onHeartbeat(beatOf("query-1"));
    REQUIRE(live.isUp("query-1"));
    CHECK_FALSE(live.upAndLate());
    clock.advance(Millis(151));
    CHECK(live.upAndLate());
    clock.advance(Millis(200));
    REQUIRE(live.tick().size() == 1);  // DOWN: nothing left to judge soon
    CHECK_FALSE(live.upAndLate());

    Liveness tight(clock, 2, 1);
    tight.onHeartbeat(beatOf("query-1"));
    REQUIRE(tight.isUp("query-1"));
    CHECK(tight.upAndLate());  // on time, yet its deadline may come before a check one interval on
}
