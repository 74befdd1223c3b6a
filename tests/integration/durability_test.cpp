// Nothing lost, nothing applied twice, every replica identical: kill -9 of the command node, a
// query node and each broker in the middle of bursts, dropped events, a new empty replica, and
// unusable data folders. Real processes; outcomes only.
#include <doctest/doctest.h>

#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "client/verify.hpp"
#include "store/store.hpp"
#include "checks.hpp"
#include "cluster.hpp"
#include "load.hpp"

// Every case here is a scenario (in every CI run) unless it says soak (scripts/soak.sh).
TEST_SUITE_BEGIN("scenario");

using namespace jupiter;
using namespace jupiter::testing;

TEST_CASE("durability: kill -9 of the command node mid-burst loses no acknowledged command and applies none twice") {
    Cluster c;
    commandNodeKilledMidBurst(c, 3000, 16, 500);
}

TEST_CASE("durability: kill -9 of a query node during a burst of 10 000 commands - it catches up and converges" * doctest::test_suite("soak")) {
    Cluster c;
    const uint64_t product = createProduct(c);
    const uint64_t total = 10000;
    CommandLoad load(c.ctx(), c.credentials(), c.gateways(), product, 32, total);
    REQUIRE(Cluster::waitFor([&] { return load.acked() > 2000; }, Millis(60000)));
    killNine(c, "query-2");
    REQUIRE(Cluster::waitFor([&] { return load.acked() > 5000; }, Millis(60000)));
    restart(c, "query-2");
    load.wait();
    requireExactlyOnce(c, product, load, total);
    requireConverged(c);
}

TEST_CASE("durability: kill -9 of either broker mid-burst, then restart - 0 failed, 0 lost, 0 doubled, converged"
          * doctest::test_suite("heavy")) {
    // Heavy, not run sanitized: replicas starved under the burst are judged DOWN for that, not for the fault.
    // Eight missed heartbeats (800 ms; five were once enough) before a node is DOWN, not three: when
    // a broker comes back, every node reconnects and a replica catches up in one go, and on 2 cores beside this load a
    // query node was seen off the CPU for ~310 ms then (marked DOWN for CPU, not for the broker).
    // A replica judged lost because of the broker (what the last check is for) stays silent for as
    // long as the broker is down, over a second here, so it still shows.
    // The monitor's own ping gets the same 800 ms (a replica off the CPU for ~400 ms right after the
    // second broker's kill was once judged DOWN by it: "no echo to ping for 399 ms").
    Cluster c(lean(), [](std::string toml) {
        for (const auto& [at, to] : {std::pair<std::string, std::string>{"heartbeat_liveness = 3", "heartbeat_liveness = 8"},
                                     {"ping_timeout_ms = 300", "ping_timeout_ms = 800"}})
            toml.replace(toml.find(at), at.size(), to);
        return toml;
    });
    const uint64_t product = createProduct(c);
    QueryLoad queries(c.ctx(), c.credentials(), c.gateways(), 2);
    // 8 command clients: with 16, and again with 12 (stop 34), beside the query load, a query node on
    // this 2-core machine was starved past its heartbeat deadline (marked DOWN by the monitor for CPU,
    // not for a broker).
    // Finished only after the second restart (its size is room, not a target: a burst of fixed size
    // must outlast both kills and restarts, however long they take); exactly once is checked on what
    // it sent.
    CommandLoad load(c.ctx(), c.credentials(), c.gateways(), product, 8, 1000000);
    uint64_t killAt = 1000;
    for (const auto* broker : c.config().nodesWith(Role::Broker)) {
        REQUIRE(Cluster::waitFor([&] { return load.acked() > killAt; }, Millis(60000)));
        killNine(c, broker->name);
        // Commands and queries go on through the other broker while this one is down.
        requireProgress(load, 200);
        restart(c, broker->name);
        killAt = load.acked() + 1000;
    }
    finishAfterProgress(load, 1000);
    // The replicas were never lost while the brokers were killed and came back: nobody was marked
    // DOWN. Read now, before the checks below ask every replica for its digest and records, work
    // that kept a replica off its heartbeat timer past even 500 ms on 2 cores (query-2 and -3, then
    // query-1, DOWN and UP again within 250 ms, after the load had ended).
    const auto transitions = c.transitions();
    CHECK(load.abandoned() == 0);
    requireExactlyOnce(c, product, load, load.started());
    requireNoFailedQueries(queries);
    requireConverged(c);
    INFO(joined(transitions));
    CHECK(findLine(transitions, {"query-", "DOWN"}) < 0);
}

TEST_CASE("durability: a replica that drops live events on purpose recovers every gap by replay") {
    // The test hook is configuration: query-3 drops every third live batch.
    Cluster c(lean(), withNodeKey("query-3", "drop_live_batches_every = 3"));
    const uint64_t product = createProduct(c);
    CommandLoad load(c.ctx(), c.credentials(), c.gateways(), product, 8, 2000);
    load.wait();
    requireExactlyOnce(c, product, load, 2000);
    requireConverged(c);
    // The hook really dropped batches, and replay repaired the gaps.
    Client ping(c.ctx(), c.credentials(), c.endpoint("query-3"));
    auto pong = ping.call(makeRequest(Kind::Control, "ping", Doc::object()), Millis(2000));
    REQUIRE(pong.ok());
    CHECK(pong->body["gaps"].get<uint64_t>() > 0);
}

TEST_CASE("durability: a fresh - empty query node joining after 10 000 events installs a copy of the state and converges"
          * doctest::test_suite("heavy")) {
    // Heavy, not run sanitized: replays 10,000 events: too slow to answer verify in 2 x 5 s.
    Cluster c;
    const uint64_t product = createProduct(c);
    killNine(c, "query-3");
    std::filesystem::remove_all(c.config().nodeDataDir("query-3"));
    CommandLoad load(c.ctx(), c.credentials(), c.gateways(), product, 32, 10000);
    load.wait();
    restart(c, "query-3");
    CHECK(stockOn(c, product, 3, load.maxSeq()) == 10000);
    requireConverged(c);
    // 10,001 events behind and holding nothing: it installed a copy of the state, not the history.
    const std::string log = logOf(c, "query-3");
    INFO(log);
    CHECK(log.find("installed a copy of the state at sequence") != std::string::npos);
}

TEST_CASE("durability: unusable data folders stop the daemon with a message naming the path") {
    Cluster c;
    createProduct(c);
    SUBCASE("corrupt store") {
        killNine(c, "query-2");
        for (auto& f : std::filesystem::directory_iterator(c.config().nodeDataDir("query-2")))
            if (f.path().filename().string().rfind("MANIFEST", 0) == 0) std::ofstream(f.path()) << "garbage";
        auto r = c.cli("start query-2");
        CHECK(r.exitCode != 0);
        // What `jupiter start` and `up` print of a node that did not come up: why, and its log's end.
        CHECK(r.output.find("query-2 exited during start-up") != std::string::npos);
        CHECK(r.output.find("last lines of " + c.config().logFile("query-2").string()) != std::string::npos);
        std::ifstream log(c.config().logFile("query-2"));
        std::string text((std::istreambuf_iterator<char>(log)), {});
        CHECK(text.find("cannot open store " + c.config().nodeDataDir("query-2").string()) != std::string::npos);
        CHECK(text.find("move the folder aside") != std::string::npos);
    }
    SUBCASE("data path is not a folder") {
        killNine(c, "query-1");
        std::filesystem::remove_all(c.config().nodeDataDir("query-1"));
        std::ofstream(c.config().nodeDataDir("query-1")) << "a file where the store should be";
        auto r = c.cli("start query-1");
        CHECK(r.exitCode != 0);
        std::ifstream log(c.config().logFile("query-1"));
        std::string text((std::istreambuf_iterator<char>(log)), {});
        CHECK(text.find(c.config().nodeDataDir("query-1").string()) != std::string::npos);
    }
    // The rest of the cluster keeps serving.
    auto q = c.query("products.list");
    REQUIRE(q.ok());
    CHECK(q->kind == Kind::Reply);
}

TEST_CASE("durability: verify detects a diverged replica and names the first differing record") {
    Cluster c;
    const uint64_t product = createProduct(c);
    const int pid = c.pid("query-2");
    REQUIRE(c.cli("kill query-2 --signal TERM").exitCode == 0);
    REQUIRE(Cluster::waitFor([&] { return kill(pid, 0) != 0; }, Millis(5000)));
    {
        // Tamper with query-2's read model behind the cluster's back.
        auto store = Store::open(c.config().nodeDataDir("query-2"), {});
        REQUIRE(store.ok());
        auto txn = (*store)->begin();
        txn->put("s/product/" + keyNum(product) + "x", "tampered");
        REQUIRE((*store)->commit(*txn, true).ok());
    }
    restart(c, "query-2");
    auto v = verifyCluster(c.ctx(), c.credentials(), c.config(), Millis(20000));
    REQUIRE(v.ok());
    CHECK_FALSE(v->agree);
    REQUIRE(v->differences.size() == 1);
    CHECK(v->differences[0].find("query-2") == 0);
    CHECK(v->differences[0].find("s/product/" + keyNum(product) + "x") != std::string::npos);
    auto cli = c.cli("verify");
    INFO(cli.output);
    CHECK(cli.exitCode == 1);
    CHECK(cli.output.find("disagree: query-2") != std::string::npos);
}

TEST_SUITE_END();
