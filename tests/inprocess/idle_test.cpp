// What an idle replica's loop does, counted on a manual clock (harness.hpp): its periodic work
// shares the heartbeat's wake-up while nothing waits, and runs every 10 ms while the replica is
// behind or queries wait for a sequence it has not applied.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "inprocess/harness.hpp"

TEST_SUITE_BEGIN("inprocess");

using namespace jupiter;
using jupiter::testing::InProcessCluster;

namespace {

// `query-2` drops every live batch of events (a test hook): it learns each command through a
// replay, which its timer paces.
std::string query2DropsLiveEvents(std::string toml) {
    const std::string at = "name = \"query-2\"\n";
    const auto where = toml.find(at);
    REQUIRE(where != std::string::npos);
    return toml.insert(where + at.size(), "drop_live_batches_every = 1\n");
}

// Heartbeats go out on the wall clock's multiples of 100 ms: stops `node` 10 ms after one, and
// says when.
TimePoint freezeJustAfterBeat(InProcessCluster& c, const std::string& node) {
    c.advance(Millis((210 - c.clock().wallMs() % 100) % 100));
    REQUIRE(c.clock().wallMs() % 100 == 10);
    c.freeze(node);
    return c.clock().now();
}

}  // namespace

TEST_CASE("in-process idle: an idle replica runs a few dozen handlers and timers a second, not a hundred - one that "
          "is behind replays at once and answers what waits for it") {
    Layout l;
    l.commands = 1;
    l.queries = 2;
    l.gateways = 1;
    InProcessCluster c(l, query2DropsLiveEvents);
    c.advance(Millis(1000));
    const uint64_t before = c.ran("query-1");
    c.advance(Millis(1000));
    // Ten heartbeats and ten turns of its timer on the same beat, the leader's heartbeats through
    // two brokers, a few pings: no 10 ms timer (it would add a hundred).
    const uint64_t idle = c.ran("query-1") - before;
    CHECK(idle >= 10);
    CHECK(idle <= 70);

    // query-2 hears of each command only from the leader's head: it replays, and a query for the
    // new sequence is answered within a few of its timer's 10 ms turns, not at the next heartbeat.
    const std::string gw = c.nodes(Role::Gateway).front();
    for (int i = 1; i <= 3; ++i) {
        auto done = c.ask(gw, makeRequest(Kind::Command, "product.create",
                                          {{"code", fmt::format("P{}", i)}, {"description", "d"}, {"price", 10}}));
        REQUIRE(done);
        REQUIRE(done->kind == Kind::Reply);
        REQUIRE(done->seq);
        auto q = makeRequest(Kind::Query, "inventory.value", Doc::object());
        q.minSeq = *done->seq;
        const TimePoint asked = c.clock().now();
        auto a = c.ask("query-2", q);
        REQUIRE(a);
        CHECK(a->kind == Kind::Reply);
        CHECK(a->seq.value_or(0) >= *done->seq);
        CHECK(c.clock().now() - asked <= Millis(60));  // its 30 ms grace for live events, then the replay
    }
}

TEST_CASE("in-process idle: the monitor checks an idle cluster on the heartbeat's beat - a node that stops is DOWN as "
          "its deadline passes, to the 10 ms") {
    Layout l;
    l.brokers = 1;
    l.commands = 1;
    l.queries = 2;
    l.gateways = 1;
    InProcessCluster c(l);
    const std::string monitor = c.nodes(Role::Monitor).front();
    c.drop(c.nodes(Role::Gateway).front());  // its own verdict on the bus would wake the monitor too
    c.advance(Millis(1000));
    const uint64_t before = c.ran(monitor);
    c.advance(Millis(1000));
    const uint64_t idle = c.ran(monitor) - before;
    CHECK(idle >= 10);
    CHECK(idle <= 90);  // a 10 ms check timer alone would be a hundred

    // query-1's deadline is 300 ms after its last heartbeat; the monitor must not wait for its next
    // beat (390 ms).
    const TimePoint stopped = freezeJustAfterBeat(c, "query-1");
    auto down = [&] {
        for (const auto& line : c.transitions())
            if (line.find("Z query-1 DOWN") != std::string::npos) return true;
        return false;
    };
    REQUIRE(c.advanceUntil(down, Millis(2000)));
    CHECK(c.clock().now() - stopped <= Millis(320));
}

TEST_CASE("in-process idle: a gateway judges an idle cluster on the heartbeat's beat - a replica that stops is left "
          "as its deadline passes, to the 10 ms") {
    Layout l;
    l.brokers = 1;
    l.commands = 1;
    l.queries = 2;
    l.gateways = 1;
    InProcessCluster c(l);
    const std::string gw = c.nodes(Role::Gateway).front();
    c.advance(Millis(1000));
    const uint64_t before = c.ran(gw);
    c.advance(Millis(1000));
    const uint64_t idle = c.ran(gw) - before;
    CHECK(idle >= 10);
    CHECK(idle <= 90);  // a 10 ms timer alone would be a hundred

    // A query in flight keeps its deadlines to the 10 ms: answered as before.
    auto a = c.ask(gw, makeRequest(Kind::Query, "inventory.value", Doc::object()));
    REQUIRE(a);
    CHECK(a->kind == Kind::Reply);

    // query-1 is the route; its deadline is 300 ms after its last heartbeat, and the gateway must
    // not wait for its next beat (390 ms) to leave it.
    const TimePoint stopped = freezeJustAfterBeat(c, "query-1");
    auto left = [&] {
        for (const auto& line : c.logLines(gw))
            if (line.find("REROUTE query-1 -> query-2") != std::string::npos) return true;
        return false;
    };
    REQUIRE(c.advanceUntil(left, Millis(3000)));
    CHECK(c.clock().now() - stopped <= Millis(320));
}
