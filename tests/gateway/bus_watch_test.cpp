// The bus-silence rule, driven by a ManualClock: the bus is up while any broker's heartbeat is
// fresh, silent when none is, and each transition is reported once.
#include <doctest/doctest.h>

#include "gateway/bus_watch.hpp"

using namespace jupiter;

TEST_CASE("bus watch: silent until a broker beats - silent again when every broker is quiet") {
    ManualClock clock;
    BusWatch bus(clock, Millis(300));
    CHECK_FALSE(bus.up());
    CHECK_FALSE(bus.tick().has_value());  // never up: nothing to report
    CHECK(bus.onBrokerBeat("broker"));    // it came up
    CHECK(bus.up());
    clock.advance(Millis(200));
    CHECK_FALSE(bus.onBrokerBeat("broker"));  // already up: no news
    clock.advance(Millis(300));
    CHECK_FALSE(bus.tick().has_value());  // exactly at the deadline: still fresh
    clock.advance(Millis(1));
    auto silent = bus.tick();
    REQUIRE(silent.has_value());
    CHECK(silent->count() == 301);
    CHECK_FALSE(bus.up());
    CHECK_FALSE(bus.tick().has_value());  // reported once
    CHECK(bus.onBrokerBeat("broker"));
}

TEST_CASE("bus watch: each broker is judged separately - one live broker keeps the bus up") {
    ManualClock clock;
    BusWatch bus(clock, Millis(300));
    bus.onBrokerBeat("broker-1");
    bus.onBrokerBeat("broker-2");
    CHECK(bus.brokersUp() == 2);
    for (int i = 0; i < 10; ++i) {
        clock.advance(Millis(100));
        bus.onBrokerBeat("broker-2");  // broker-1 died
        CHECK_FALSE(bus.tick().has_value());
    }
    CHECK(bus.up());
    CHECK(bus.brokersUp() == 1);
    CHECK_FALSE(bus.fresh("broker-1"));
    CHECK(bus.fresh("broker-2"));
    CHECK_FALSE(bus.fresh("broker-3"));  // never heard of
    clock.advance(Millis(400));
    CHECK(bus.tick().has_value());
    CHECK(bus.brokersUp() == 0);
}

TEST_CASE("bus watch: a fresh heartbeat that goes stale within the horizon is said so - for the gateway to judge "
          "sooner") {
    ManualClock clock;
    BusWatch bus(clock, Millis(300));
    CHECK_FALSE(bus.staleWithin(Millis(150)));  // no broker heard: nothing to go stale
    bus.onBrokerBeat("broker-1");
    CHECK_FALSE(bus.staleWithin(Millis(150)));
    clock.advance(Millis(150));
    CHECK_FALSE(bus.staleWithin(Millis(150)));  // stale at 301 ms, not within 150 of now
    clock.advance(Millis(1));
    CHECK(bus.staleWithin(Millis(150)));
    bus.onBrokerBeat("broker-2");
    CHECK(bus.staleWithin(Millis(150)));  // broker-1 still may go
    clock.advance(Millis(150));
    CHECK_FALSE(bus.fresh("broker-1"));
    CHECK_FALSE(bus.staleWithin(Millis(100)));  // broker-1 is stale already: no news to wait for
    CHECK(bus.staleWithin(Millis(151)));        // broker-2 will be, at 301 ms
}
