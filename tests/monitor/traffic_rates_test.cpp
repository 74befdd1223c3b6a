// Queries and commands per second from the gateways' heartbeat counts, on a ManualClock.
#include <doctest/doctest.h>

#include "monitor/traffic_rates.hpp"

using namespace jupiter;

namespace {

Heartbeat counts(const std::string& gateway, uint64_t queries, uint64_t commands, uint64_t pid = 7,
                 uint64_t uptimeMs = 1000) {
    Heartbeat h;
    h.node = gateway;
    h.role = Role::Gateway;
    h.pid = pid;
    h.uptimeMs = uptimeMs;
    h.queries = queries;
    h.commands = commands;
    return h;
}

}  // namespace

TEST_CASE("traffic rates: the gateways' counts summed over the window - copies, late copies and restarts") {
    ManualClock clock;
    TrafficRates rates(clock, Millis(1000));
    CHECK(rates.queriesPerSecond() == 0);
    // What they answered before the monitor heard them is no part of a rate.
    rates.onGatewayBeat(counts("gateway-1", 5000, 300));
    rates.onGatewayBeat(counts("gateway-2", 7000, 0, 9));
    rates.sample();
    for (uint64_t i = 1; i <= 10; ++i) {
        clock.advance(Millis(100));
        rates.onGatewayBeat(counts("gateway-1", 5000 + 100u * i, 300 + 10u * i, 7, 1000 + 100u * i));
        rates.onGatewayBeat(counts("gateway-1", 5000 + 100u * i, 300 + 10u * i, 7, 1000 + 100u * i));  // the other broker's copy
        rates.onGatewayBeat(counts("gateway-2", 7000 + 50u * i, 0, 9, 1000 + 100u * i));
        rates.sample();
    }
    CHECK(rates.queriesPerSecond() == doctest::Approx(1500));  // 1000/s + 500/s
    CHECK(rates.commandsPerSecond() == doctest::Approx(100));
    // A late copy of an older beat does not count again.
    rates.onGatewayBeat(counts("gateway-1", 5500, 350, 7, 1500));
    clock.advance(Millis(100));
    rates.onGatewayBeat(counts("gateway-1", 6100, 410, 7, 2100));
    rates.sample();
    CHECK(rates.commandsPerSecond() == doctest::Approx(100));
    // gateway-2 started again (a new pid, up for less time): it counts from zero.
    rates.onGatewayBeat(counts("gateway-2", 20, 0, 11, 50));
    // ...and a late copy from its process before changes nothing.
    rates.onGatewayBeat(counts("gateway-2", 7500, 0, 9, 2000));
    clock.advance(Millis(100));
    rates.onGatewayBeat(counts("gateway-2", 40, 0, 11, 150));
    rates.sample();
    // The window is the last second: 10 samples of gateway-1 at 1000/s, gateway-2 at 500/s then 40 in 200 ms.
    CHECK(rates.queriesPerSecond() > 1000);
    CHECK(rates.queriesPerSecond() < 1500);
    // Nothing for a while: the rates fall to zero.
    for (int i = 0; i < 12; ++i) {
        clock.advance(Millis(100));
        rates.sample();
    }
    CHECK(rates.queriesPerSecond() == 0);
    CHECK(rates.commandsPerSecond() == 0);
}
