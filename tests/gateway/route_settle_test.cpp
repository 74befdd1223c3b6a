// The gateway's delay before its first route, driven by a ManualClock.
#include <doctest/doctest.h>

#include "gateway/route_settle.hpp"

using namespace jupiter;

TEST_CASE("route settle: the first route waits its delay after the first replica heartbeat") {
    ManualClock clock;
    RouteSettle settle(clock, Millis(150));
    clock.advance(Millis(1000));
    CHECK_FALSE(settle.settled());  // no replica heard from: nothing to choose yet
    CHECK_FALSE(settle.settling());  // and time alone will not change that
    settle.onReplicaBeat();
    CHECK(settle.settling());
    clock.advance(Millis(100));
    settle.onReplicaBeat();  // later beats do not move the start
    CHECK_FALSE(settle.settled());
    clock.advance(Millis(49));
    CHECK_FALSE(settle.settled());
    clock.advance(Millis(1));
    CHECK(settle.settled());
    CHECK_FALSE(settle.settling());
    clock.advance(Millis(10000));
    CHECK(settle.settled());  // and stays settled
}
