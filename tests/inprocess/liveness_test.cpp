// Liveness with hysteresis as the gateway and the monitor judge it, with the daemon classes in one
// process on a manual clock (harness.hpp): a pause shorter than the miss limit is no event, a longer
// one is one DOWN and one UP, never a flap.
#include <doctest/doctest.h>

#include "inprocess/harness.hpp"
#include "tests/text.hpp"

TEST_SUITE_BEGIN("inprocess");

using namespace jupiter;
using jupiter::testing::InProcessCluster;

// A node's own transitions follow the timestamp's Z ("Z query-1 DOWN"), unlike a REROUTE that names it.
using jupiter::testing::countLines;

TEST_CASE("in-process liveness: a pause shorter than the miss limit is no transition - a long one is one DOWN and one UP") {
    Layout l;
    l.brokers = 1;
    l.commands = 1;
    l.queries = 2;
    l.gateways = 1;
    InProcessCluster c(l);
    const std::string gw = c.nodes(Role::Gateway).front();
    const auto before = c.transitions();
    REQUIRE(countLines(before, "Z query-1 UP") == 1);

    for (int i = 0; i < 5; ++i) {  // brief pauses (a GC, a busy host): within the limits
        c.freeze("query-1");
        c.advance(Millis(150));
        c.thaw("query-1");
        c.advance(Millis(500));
    }
    CHECK(c.transitions() == before);

    c.freeze("query-1");
    c.advance(Millis(1000));
    c.thaw("query-1");
    c.advance(Millis(2000));
    const auto after = c.transitions();
    CHECK(countLines(after, "Z query-1 DOWN") == 1);
    CHECK(countLines(after, "Z query-1 UP") == 2);
    CHECK(countLines(after, gw + " REROUTE query-1 -> query-2") == 1);
    CHECK(countLines(after, gw + " REROUTE query-2 -> query-1") == 1);
}

TEST_SUITE_END();
