// Heartbeats, the monitor and rerouting with real daemons, for what only processes show: kill -9,
// SIGSTOP and a poisoned event, under a steady query load. Outcomes and orderings only, no timings.
// Every replica gone, the monitor gone, a gateway without brokers and spread routing are tested in
// process: tests/inprocess/failover_test.cpp.
#include <doctest/doctest.h>

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "checks.hpp"
#include "cluster.hpp"
#include "load.hpp"

// Every case here is a scenario (in every CI run) unless it says soak (scripts/soak.sh).
TEST_SUITE_BEGIN("scenario");

using namespace jupiter;
using jupiter::testing::Cluster;
using jupiter::testing::QueryLoad;

using namespace jupiter::testing;

namespace {

void seed(Cluster& c) {
    auto r = c.send("product.create", {{"code", "P1"}, {"description", "d"}, {"price", 10}});
    REQUIRE(r.ok());
    REQUIRE(r->kind == Kind::Reply);
}

}  // namespace

TEST_CASE("failover: kill -9 of the replica in use loses no query - restart brings fail-back") {
    Cluster c;
    seed(c);
    REQUIRE(waitForLine(c, {"gateway-1 REROUTE", "-> query-1"}));
    QueryLoad load(c.ctx(), c.credentials(), c.gateways(), 4);
    REQUIRE(Cluster::waitFor([&] { return load.ok() > 200; }, Millis(10000)));
    REQUIRE(c.cli("kill query-1 --signal KILL").exitCode == 0);
    REQUIRE(waitForLine(c, {"query-1 DOWN"}));
    REQUIRE(waitForLine(c, {"gateway-1 REROUTE query-1 -> query-2"}));
    const uint64_t afterKill = load.ok();
    REQUIRE(Cluster::waitFor([&] { return load.ok() > afterKill + 200; }, Millis(10000)));
    CHECK(load.lastServedBy() == "query-2");

    const long mark = static_cast<long>(c.transitions().size());
    auto st = c.cli("start query-1");
    INFO(st.output);
    REQUIRE(st.exitCode == 0);
    REQUIRE(waitForLine(c, {"query-1 UP"}, mark));
    REQUIRE(waitForLine(c, {"gateway-1 REROUTE query-2 -> query-1 (fail-back)"}, mark));
    // Until the gateway's own connection to the restarted query-1 is up, query-2 still serves.
    CHECK(Cluster::waitFor([&] { return load.lastServedBy() == "query-1"; }, Millis(10000)));
    requireNoFailedQueries(load);
    const auto lines = c.transitions();
    const long down = findLine(lines, {"query-1 DOWN"});
    const long reroute = findLine(lines, {"REROUTE query-1 -> query-2"});
    const long up = findLine(lines, {"query-1 UP"}, down);
    CHECK(down >= 0);
    CHECK(reroute >= 0);
    CHECK(up > down);
}

TEST_CASE("failover: a SIGSTOPped replica is marked DOWN - masked - and UP again after SIGCONT") {
    Cluster c;
    seed(c);
    REQUIRE(waitForLine(c, {"gateway-1 REROUTE", "-> query-1"}));
    QueryLoad load(c.ctx(), c.credentials(), c.gateways(), 4);
    REQUIRE(Cluster::waitFor([&] { return load.ok() > 100; }, Millis(10000)));
    REQUIRE(c.cli("kill query-1 --signal STOP").exitCode == 0);
    REQUIRE(waitForLine(c, {"query-1 DOWN"}));
    REQUIRE(waitForLine(c, {"REROUTE query-1 -> query-2"}));
    const uint64_t during = load.ok();
    REQUIRE(Cluster::waitFor([&] { return load.ok() > during + 100; }, Millis(10000)));
    const long mark = static_cast<long>(c.transitions().size());
    REQUIRE(c.cli("kill query-1 --signal CONT").exitCode == 0);
    REQUIRE(waitForLine(c, {"query-1 UP"}, mark));
    REQUIRE(waitForLine(c, {"REROUTE query-2 -> query-1 (fail-back)"}, mark));
    requireNoFailedQueries(load);
}

TEST_CASE("failover: SIGSTOP then kill -9 of the gateway in use - 0 failed queries - every command exactly once"
          * doctest::test_suite("heavy")) {
    // Heavy, not run sanitized: starved under its query load.
    Cluster c;
    const uint64_t product = createProduct(c);
    const uint64_t total = 5000;
    // Half the clients start on gateway-1, half on gateway-2.
    QueryLoad queries(c.ctx(), c.credentials(), c.gateways(), 4);
    CommandLoad commands(c.ctx(), c.credentials(), c.gateways(), product, 4, total);
    REQUIRE(Cluster::waitFor([&] { return queries.ok() > 200 && commands.acked() > 100; }, Millis(20000)));

    // A stopped gateway keeps its connections open: its clients learn from its silence.
    REQUIRE(c.cli("kill gateway-1 --signal STOP").exitCode == 0);
    REQUIRE(Cluster::waitFor([&] { return queries.failovers() >= 2; }, Millis(20000)));
    const uint64_t stopped = queries.ok();
    REQUIRE(Cluster::waitFor([&] { return queries.ok() > stopped + 200; }, Millis(20000)));
    REQUIRE(c.cli("kill gateway-1 --signal CONT").exitCode == 0);

    // Every client now uses gateway-2 (they stick to it); a killed gateway drops its connections.
    const uint64_t movedBefore = queries.failovers();
    killNine(c, "gateway-2");
    REQUIRE(Cluster::waitFor([&] { return queries.failovers() >= movedBefore + 4; }, Millis(20000)));
    const uint64_t killed = queries.ok();
    REQUIRE(Cluster::waitFor([&] { return queries.ok() > killed + 200; }, Millis(20000)));
    restart(c, "gateway-2");

    commands.wait();
    requireExactlyOnce(c, product, commands, total);
    CHECK(commands.failovers() > 0);
    requireNoFailedQueries(queries);
    requireConverged(c);
}

TEST_CASE("failover: a replica that cannot apply an event stops there - stays up, says so, is not routed to - none "
          "can is unavailable naming it - a restart with a build that can resumes") {
    // query-1 cannot apply event 3; query-2 and query-3 cannot apply event 6 (the test hook makes
    // each build refuse it, as one from a newer version would be refused).
    const auto hook1 = withNodeKey("query-1", "refuse_event_seq = 3");
    const auto hook2 = withNodeKey("query-2", "refuse_event_seq = 6");
    const auto hook3 = withNodeKey("query-3", "refuse_event_seq = 6");
    Cluster c(lean(), [&](std::string toml) { return hook3(hook2(hook1(std::move(toml)))); });
    const uint64_t product = createProduct(c);  // event 1
    REQUIRE(waitForLine(c, {"gateway-1 REROUTE", "-> query-1"}));
    QueryLoad load(c.ctx(), c.credentials(), c.gateways(), 4);
    REQUIRE(Cluster::waitFor([&] { return load.ok() > 100; }, Millis(10000)));
    auto receive = [&] {
        auto r = c.send("stock.receive", {{"product", product}, {"quantity", 1}});
        REQUIRE(r.ok());
        REQUIRE(r->kind == Kind::Reply);  // the write side does not care
        return r->body["seq"].get<uint64_t>();
    };
    receive();
    REQUIRE(receive() == 3);
    REQUIRE(waitForLine(c, {"query-1 STUCK", "(at 3: refused by the test hook refuse_event_seq"}));
    REQUIRE(waitForLine(c, {"REROUTE query-1 -> query-2 (query-1 stuck at 3"}));
    const uint64_t rerouted = load.ok();
    REQUIRE(Cluster::waitFor([&] { return load.ok() > rerouted + 100; }, Millis(10000)));
    CHECK(load.lastServedBy() == "query-2");
    // It stays up and answers at the sequence before the event; a query for a later one is
    // answered at once: it will not get there.
    CHECK(findLine(c.transitions(), {"query-1 DOWN"}) < 0);
    auto at = c.query("inventory.value", Doc::object(), 1);
    REQUIRE(at.ok());
    CHECK(at->kind == Kind::Reply);
    CHECK(at->seq == 2u);
    auto ahead = c.query("inventory.value", Doc::object(), 1, 3);
    REQUIRE(ahead.ok());
    REQUIRE(ahead->kind == Kind::Error);
    CHECK(ahead->body["code"] == "unavailable");
    CHECK(ahead->body["message"].get<std::string>().find("stuck at 3") != std::string::npos);
    const auto status = c.cli("status");
    CHECK(status.output.find("STUCK") != std::string::npos);
    CHECK(status.output.find("query-1 stuck at 3: refused by the test hook refuse_event_seq") != std::string::npos);
    receive();
    receive();  // 5: the others apply on; query-1 stays where it is
    CHECK(stockOn(c, product, 3, 5) == 4);
    requireNoFailedQueries(load);
    load.stop();

    // Event 6 no replica can apply: queries are answered unavailable, naming it; nothing crashes.
    REQUIRE(receive() == 6);
    REQUIRE(waitForLine(c, {"query-2 STUCK", "(at 6:"}));
    REQUIRE(waitForLine(c, {"query-3 STUCK", "(at 6:"}));
    REQUIRE(Cluster::waitFor([&] {
        auto q = c.query("inventory.value");
        return q.ok() && q->kind == Kind::Error && q->body["code"] == "unavailable";
    }, Millis(10000)));
    auto none = c.query("inventory.value");
    REQUIRE(none.ok());
    const std::string msg = none->body.value("message", "");
    CHECK(msg.find("query-2 UP") != std::string::npos);
    CHECK(msg.find("stuck at 6") != std::string::npos);
    CHECK(msg.find("a build that can apply event 6") != std::string::npos);
    for (const auto& r : c.replicas()) {
        CHECK(kill(c.pid(r), 0) == 0);
        long lines = 0;
        for (const auto& l : c.logLines(r)) lines += l.find("stuck at ") != std::string::npos ? 1 : 0;
        CHECK_MESSAGE(lines == 1, r, " logs its stuck event once");
    }

    // "A build that can apply it": the same binaries without the hook. Each resumes from the event
    // it stopped at, and the replicas agree again.
    const auto file = c.dir() / "jupiter.toml";
    std::string toml;
    {
        std::ifstream in(file);
        toml.assign(std::istreambuf_iterator<char>(in), {});
    }
    for (auto hook = toml.find("refuse_event_seq"); hook != std::string::npos; hook = toml.find("refuse_event_seq"))
        toml.erase(hook, toml.find('\n', hook) + 1 - hook);
    std::ofstream(file) << toml;
    const long mark = static_cast<long>(c.transitions().size());
    for (const auto& r : c.replicas()) {
        const int pid = c.pid(r);
        REQUIRE(kill(pid, SIGTERM) == 0);
        REQUIRE(Cluster::waitFor([&] { return kill(pid, 0) != 0; }, Millis(10000)));
        restart(c, r);
    }
    for (const auto& r : c.replicas()) CHECK(waitForLine(c, {r + " RESUMED"}, mark));
    requireConverged(c);
    CHECK(stockOn(c, product, 1, 6) == 5);
}

TEST_SUITE_END();
