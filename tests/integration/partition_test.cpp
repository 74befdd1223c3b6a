// Partitions on a real network: every node in a network namespace of its own with its own address
// on a Linux bridge (`jupiter up --netns`, root only; skipped otherwise), links cut with
// `jupiter partition` (link down, or blackhole routes both ways) under query and command load, then
// healed; each ends with nothing lost, nothing applied twice and every store agreeing.
#include <doctest/doctest.h>

#include <algorithm>

#include <fmt/format.h>

#include "checks.hpp"
#include "cluster.hpp"
#include "load.hpp"

// Every case here is a scenario (in every CI run) unless it says soak (scripts/soak.sh).
TEST_SUITE_BEGIN("scenario");

using namespace jupiter;
using namespace jupiter::testing;

namespace {

// ctest marks a test that prints this as skipped (SKIP_REGULAR_EXPRESSION in tests/CMakeLists.txt).
bool skipWithoutLab() {
    const std::string why = labUnavailable();
    if (!why.empty()) fmt::print(stderr, "SKIPPED: {}\n", why);
    return !why.empty();
}

void cli(Cluster& c, const std::string& args) {
    auto r = c.cli(args);
    INFO("jupiter " << args << "\n" << r.output);
    REQUIRE(r.exitCode == 0);
}

// After a heal, TCP resends what the cut held back only when its retransmission timer next fires,
// which backs off while the link is down (seconds, after a long cut on a slow machine): so the
// transitions that follow a heal get a minute, not the ten seconds the others get.
bool waitAfterHeal(Cluster& c, std::initializer_list<std::string> parts, long from) {
    return Cluster::waitFor([&] { return findLine(c.transitions(), parts, from) >= 0; }, Millis(60000));
}

}  // namespace

TEST_CASE("partition: the replica in use cut off from everyone (link down) - rerouted, 0 failed queries - it catches "
          "up after healing" * doctest::test_suite("heavy")) {
    // Heavy, not run sanitized: the lab network's partitions under load: starved.
    if (skipWithoutLab()) return;
    Cluster c(lean(), {}, /*netns=*/true);
    const uint64_t product = createProduct(c);
    REQUIRE(waitForLine(c, {"gateway-1 REROUTE", "-> query-1"}));
    QueryLoad queries(c.ctx(), c.credentials(), c.gateways(), 2);
    const uint64_t total = 3000;
    CommandLoad load(c.ctx(), c.credentials(), c.gateways(), product, 4, total);
    requireProgress(load, 300);
    const long mark = static_cast<long>(c.transitions().size());
    cli(c, "partition query-1");
    REQUIRE(waitForLine(c, {"query-1 DOWN"}, mark));
    // Away from it: to query-2, or to query-3 if query-2 lags behind the head at that moment.
    REQUIRE(waitForLine(c, {"gateway-1 REROUTE query-1 -> "}, mark));
    // Commands go on while it is away; it will have to catch up on them.
    requireProgress(load, 500);
    CHECK(Cluster::waitFor([&] { return queries.lastServedBy() != "query-1"; }, Millis(10000)));
    cli(c, "heal query-1");
    REQUIRE(waitAfterHeal(c, {"query-1 UP"}, mark));
    REQUIRE(waitAfterHeal(c, {"gateway-1 REROUTE", "-> query-1 (fail-back)"}, mark));
    load.wait();
    CHECK(load.abandoned() == 0);
    requireNoFailedQueries(queries);
    requireExactlyOnce(c, product, load, total);
    requireConverged(c);
}

TEST_CASE("partition: the replica in use cut off from the gateways only - the monitor still sees it, the gateways "
          "stop using it, 0 failed queries" * doctest::test_suite("heavy")) {
    // Heavy, not run sanitized: the lab network's partitions under load: starved.
    if (skipWithoutLab()) return;
    Cluster c(lean(), {}, /*netns=*/true);
    const uint64_t product = createProduct(c);
    REQUIRE(waitForLine(c, {"gateway-1 REROUTE", "-> query-1"}));
    QueryLoad queries(c.ctx(), c.credentials(), c.gateways(), 2);
    // Enough to outlast the 2 s the gateways take to judge it cut off (about 700 commands/s here).
    const uint64_t total = 4000;
    CommandLoad load(c.ctx(), c.credentials(), c.gateways(), product, 4, total);
    requireProgress(load, 300);
    const long mark = static_cast<long>(c.transitions().size());
    cli(c, "partition query-1 --from gateway");
    INFO(joined(c.transitions()));
    INFO(joined(c.logLines("gateway-1")));
    // Its heartbeats still reach the gateways through the brokers; their own pings go unanswered.
    REQUIRE(waitForLine(c, {"gateway-1 REROUTE query-1 -> "}, mark));
    REQUIRE(waitForLine(c, {"gateway-2 REROUTE query-1 -> "}, mark));
    requireProgress(load, 300);
    CHECK(Cluster::waitFor([&] { return queries.lastServedBy() != "query-1"; }, Millis(10000)));
    // The monitor reaches it and judges it UP all along.
    CHECK(findLine(c.transitions(), {"Z query-1 DOWN"}, mark) < 0);
    bool sawCut = false;
    for (const auto& l : c.logLines("gateway-1")) sawCut = sawCut || l.find("cut off from this gateway") != std::string::npos;
    CHECK(sawCut);
    cli(c, "heal query-1");
    REQUIRE(waitAfterHeal(c, {"gateway-1 REROUTE", "-> query-1 (fail-back)"}, mark));
    load.wait();
    requireNoFailedQueries(queries);
    requireExactlyOnce(c, product, load, total);
    requireConverged(c);
    CHECK(findLine(c.transitions(), {"Z query-1 DOWN"}, mark) < 0);
}

TEST_CASE("partition: a gateway cut off from the brokers, then one broker cut off - clients move on, nothing lost"
          * doctest::test_suite("heavy")) {
    // Heavy, not run sanitized: the lab network's partitions under load: starved.
    if (skipWithoutLab()) return;
    Cluster c(lean(), {}, /*netns=*/true);
    const uint64_t product = createProduct(c);
    QueryLoad queries(c.ctx(), c.credentials(), c.gateways(), 2);
    const uint64_t total = 4000;
    CommandLoad load(c.ctx(), c.credentials(), c.gateways(), product, 4, total);  // two clients start on each gateway
    requireProgress(load, 300);

    // gateway-1 still reaches the clients and the replicas, but no broker: it answers commands
    // cut_off and its clients resend them through gateway-2 (same id).
    cli(c, "partition gateway-1 --from broker");
    requireProgress(load, 500);
    bool said = false;
    REQUIRE(Cluster::waitFor([&] {
        for (const auto& l : c.logLines("gateway-1")) said = said || l.find("no broker heard") != std::string::npos;
        return said;
    }, Millis(10000)));
    CHECK(load.failovers() > 0);
    cli(c, "heal gateway-1");
    REQUIRE(Cluster::waitFor([&] {
        for (const auto& l : c.logLines("gateway-1"))
            if (l.find("a broker is heard again") != std::string::npos) return true;
        return false;
    }, Millis(60000)));

    // broker-1 gone from the network: everyone goes on through broker-2.
    const long mark = static_cast<long>(c.transitions().size());
    cli(c, "partition broker-1");
    REQUIRE(waitForLine(c, {"broker-1 DOWN"}, mark));
    requireProgress(load, 500);
    cli(c, "heal broker-1");
    REQUIRE(waitAfterHeal(c, {"broker-1 UP"}, mark));
    load.wait();
    CHECK(load.abandoned() == 0);
    requireNoFailedQueries(queries);
    requireExactlyOnce(c, product, load, total);
    requireConverged(c);
}

TEST_CASE("partition: the command leader cut off from the standbys and etcd but not from clients, then another from "
          "the standbys only - a standby takes over each time, nothing acknowledged is lost, nothing they wrote alone "
          "survives" * doctest::test_suite("heavy")) {
    // Heavy, not run sanitized: the lab network's partitions under load: starved.
    if (skipWithoutLab()) return;
    Cluster c(Layout{}, {}, /*netns=*/true);
    const uint64_t product = createProduct(c);
    QueryLoad queries(c.ctx(), c.credentials(), c.gateways(), 2);
    const uint64_t total = 7000;
    CommandLoad load(c.ctx(), c.credentials(), c.gateways(), product, 8, total);
    requireProgress(load, 300);
    const std::string leader = leaderOf(c);
    // It still reaches the brokers (and through them the gateways and clients), so commands keep
    // coming to it; it can neither renew its lease nor have a standby copy anything.
    cli(c, fmt::format("partition {} --from command,etcd", leader));
    const std::string next = leaderOf(c, Millis(20000), leader);
    CHECK(next != leader);
    requireProgress(load, 300);
    cli(c, fmt::format("heal {}", leader));
    // Back in touch, it finds its lease gone, takes back what no standby holds and follows.
    REQUIRE(Cluster::waitFor([&] { return standingOf(c, leader) == "standby"; }, Millis(60000)));
    CHECK(standingOf(c, next) == "leader");
    requireProgress(load, 300);
    CHECK(findLine(c.transitions(), {next, "LEADER", "(epoch"}) >= 0);
    // Then the leader cut off from the standbys only: it still reaches etcd, so it learns at once
    // that a standby ended its lease; never having heard from the new leader, it does not end the
    // new leader's lease in turn (no leader after leader while it is cut off).
    const long linesBefore = static_cast<long>(c.logLines(next).size());
    cli(c, fmt::format("partition {} --from command", next));
    const std::string third = leaderOf(c, Millis(20000), next);
    CHECK(third != next);
    requireProgress(load, 300);
    CHECK(leaderOf(c) == third);
    CHECK(findLine(c.logLines(next), {"has not answered our fetch"}, linesBefore) < 0);
    cli(c, fmt::format("heal {}", next));
    REQUIRE(Cluster::waitFor([&] { return standingOf(c, next) == "standby"; }, Millis(60000)));
    CHECK(standingOf(c, third) == "leader");
    load.wait();
    CHECK(load.abandoned() == 0);
    requireNoFailedQueries(queries);
    requireExactlyOnce(c, product, load, total);
    requireConverged(c);  // the old leaders' stores included: what they wrote alone is gone
}

TEST_SUITE_END();
