// The layout is data: clusters of five query replicas and of one, built from jupiter.toml alone,
// pass the CQRS, failover (in the configured order, failing back to the first), durability and
// chaos scenarios; and two command nodes, one leading and one holding a synchronous copy.
// Real processes; outcomes and orderings only.
#include <doctest/doctest.h>

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "checks.hpp"
#include "cluster.hpp"
#include "common/doc.hpp"
#include "load.hpp"

// Every case here is a scenario (in every CI run) unless it says soak (scripts/soak.sh).
TEST_SUITE_BEGIN("scenario");

using namespace jupiter;
using namespace jupiter::testing;

namespace {

Layout replicas(int n) {
    Layout l = lean();
    l.queries = n;
    return l;
}

// Commands through the gateway reach every replica, and every replica agrees with the write model.
void commandsReachEveryReplica(Cluster& c) {
    const uint64_t product = createProduct(c);
    CommandLoad load(c.ctx(), c.credentials(), c.gateways(), product, 4, 200);
    load.wait();
    requireExactlyOnce(c, product, load, 200);
    requireConverged(c);
}

struct ChaosDir {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 fmt::format("jupiter-layout-chaos-{}-{}", getpid(), std::random_device{}());
    ~ChaosDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

// A short seeded jupiter-chaos run on a cluster of `n` replicas the tool starts for itself.
Doc chaosRun(int n) {
    ChaosDir tmp;
    const auto out = tmp.path / "out";
    auto run = runShell(fmt::format("'{}/jupiter-chaos' --dir '{}' --replicas {} --duration 6s --every 2s "
                                    "--faults kill,stop --seed 7 --out '{}'",
                                    JUPITER_BIN_DIR, (tmp.path / "none").string(), n, out.string()));
    INFO(run.output);
    CHECK(run.exitCode == 0);
    std::ifstream in(out / "report.json");
    std::stringstream s;
    s << in.rdbuf();
    REQUIRE_FALSE(s.str().empty());
    Doc report = Doc::parse(s.str());
    CHECK(report["failed_queries"].get<uint64_t>() == 0);
    CHECK(report["lost_commands"].get<uint64_t>() == 0);
    CHECK(report["converged"].get<bool>());
    CHECK(report["acknowledged_commands"].get<uint64_t>() > 0);
    std::ifstream svg(out / "timeline.svg");
    std::stringstream sv;
    sv << svg.rdbuf();
    for (int r = 1; r <= n; ++r)
        CHECK_MESSAGE(sv.str().find(fmt::format(">query-{}</text>", r)) != std::string::npos, r);
    return report;
}

}  // namespace

TEST_CASE("layout: five replicas - commands reach all five and they agree" * doctest::test_suite("heavy")) {
    // Heavy, not run sanitized: five sanitized replicas under load starve on 2 cores; the code paths are the
    // three-replica scenarios'.
    Cluster c(replicas(5));
    CHECK(c.replicas() == std::vector<std::string>{"query-1", "query-2", "query-3", "query-4", "query-5"});
    commandsReachEveryReplica(c);
}

TEST_CASE("layout: five replicas - kill -9 and SIGSTOP walk the configured order - fail-back goes to the first"
          * doctest::test_suite("heavy")) {
    // Heavy, not run sanitized: five sanitized replicas under load starve on 2 cores; the code paths are the
    // three-replica scenarios'.
    Cluster c(replicas(5));
    createProduct(c);
    REQUIRE(waitForLine(c, {"gateway-1 REROUTE", "-> query-1"}));
    QueryLoad load(c.ctx(), c.credentials(), c.gateways(), 4);
    REQUIRE(Cluster::waitFor([&] { return load.ok() > 100; }, Millis(10000)));

    REQUIRE(c.cli("kill query-1 --signal KILL").exitCode == 0);
    REQUIRE(waitForLine(c, {"gateway-1 REROUTE query-1 -> query-2"}));
    REQUIRE(c.cli("kill query-2 --signal STOP").exitCode == 0);
    REQUIRE(waitForLine(c, {"gateway-1 REROUTE query-2 -> query-3"}));
    REQUIRE(c.cli("kill query-3 --signal KILL").exitCode == 0);
    REQUIRE(waitForLine(c, {"gateway-1 REROUTE query-3 -> query-4"}));
    REQUIRE(c.cli("kill query-4 --signal KILL").exitCode == 0);
    REQUIRE(waitForLine(c, {"gateway-1 REROUTE query-4 -> query-5"}));
    const uint64_t onLast = load.ok();
    REQUIRE(Cluster::waitFor([&] { return load.ok() > onLast + 100; }, Millis(10000)));
    CHECK(load.lastServedBy() == "query-5");

    const long mark = static_cast<long>(c.transitions().size());
    restart(c, "query-3");
    REQUIRE(waitForLine(c, {"gateway-1 REROUTE query-5 -> query-3 (fail-back)"}, mark));
    REQUIRE(c.cli("kill query-2 --signal CONT").exitCode == 0);
    REQUIRE(waitForLine(c, {"gateway-1 REROUTE query-3 -> query-2 (fail-back)"}, mark));
    restart(c, "query-1");
    REQUIRE(waitForLine(c, {"gateway-1 REROUTE query-2 -> query-1 (fail-back)"}, mark));
    // Until the gateway's own connection to the restarted query-1 is up, queries still go to the
    // next replica; then query-1 serves.
    CHECK(Cluster::waitFor([&] { return load.lastServedBy() == "query-1"; }, Millis(10000)));
    requireNoFailedQueries(load);
}

TEST_CASE("layout: five replicas - kill -9 of the command node mid-burst loses nothing on any replica"
          * doctest::test_suite("heavy")) {
    // Heavy, not run sanitized: five sanitized replicas under load starve on 2 cores; the code paths are the
    // three-replica scenarios'.
    Cluster c(replicas(5));
    commandNodeKilledMidBurst(c, 2000, 8, 300);
}

TEST_CASE("layout: one replica - commands reach it - it agrees with the write model" * doctest::test_suite("heavy")) {
    // Heavy, not run sanitized: one replica: the same code paths as the three-replica scenarios, which run
    // sanitized.
    Cluster c(replicas(1));
    CHECK(c.replicas() == std::vector<std::string>{"query-1"});
    commandsReachEveryReplica(c);
}

TEST_CASE("layout: one replica - kill -9 and SIGSTOP make queries fail clearly - it serves again when back"
          * doctest::test_suite("heavy")) {
    // Heavy, not run sanitized: one replica: the same code paths as the three-replica scenarios, which run
    // sanitized.
    Cluster c(replicas(1));
    createProduct(c);
    REQUIRE(waitForLine(c, {"gateway-1 REROUTE", "-> query-1"}));

    REQUIRE(c.cli("kill query-1 --signal KILL").exitCode == 0);
    REQUIRE(waitForLine(c, {"gateway-1 REROUTE query-1 -> none"}));
    auto r = c.query("inventory.value");
    REQUIRE(r.ok());
    REQUIRE(r->kind == Kind::Error);
    CHECK(r->body["code"] == "unavailable");
    CHECK(r->body["message"].get<std::string>().find("start one with `jupiter start query-1`") != std::string::npos);
    long mark = static_cast<long>(c.transitions().size());
    restart(c, "query-1");
    REQUIRE(waitForLine(c, {"gateway-1 REROUTE none -> query-1"}, mark));
    REQUIRE(Cluster::waitFor([&] {
        auto q = c.query("inventory.value");
        return q.ok() && q->kind == Kind::Reply && q->node == "query-1";
    }, Millis(10000)));

    mark = static_cast<long>(c.transitions().size());
    REQUIRE(c.cli("kill query-1 --signal STOP").exitCode == 0);
    REQUIRE(waitForLine(c, {"query-1 DOWN"}, mark));
    REQUIRE(waitForLine(c, {"gateway-1 REROUTE query-1 -> none"}, mark));
    REQUIRE(c.cli("kill query-1 --signal CONT").exitCode == 0);
    REQUIRE(waitForLine(c, {"query-1 UP"}, mark));
    REQUIRE(waitForLine(c, {"gateway-1 REROUTE none -> query-1"}, mark));
    QueryLoad load(c.ctx(), c.credentials(), c.gateways(), 2);
    REQUIRE(Cluster::waitFor([&] { return load.ok() > 100; }, Millis(10000)));
    requireNoFailedQueries(load);
}

TEST_CASE("layout: one replica - kill -9 of the command node mid-burst loses nothing" * doctest::test_suite("heavy")) {
    // Heavy, not run sanitized: one replica: the same code paths as the three-replica scenarios, which run
    // sanitized.
    Cluster c(replicas(1));
    commandNodeKilledMidBurst(c, 2000, 8, 300);
}

TEST_CASE("layout: chaos on five replicas loses nothing and draws five lanes" * doctest::test_suite("soak")) {
    const Doc report = chaosRun(5);
    CHECK(report["faults"].size() >= 1);
}

TEST_CASE("layout: chaos on one replica skips every fault - it never takes the last live replica" * doctest::test_suite("soak")) {
    const Doc report = chaosRun(1);
    CHECK(report["faults"].empty());
}

TEST_CASE("layout: two command nodes - one leads, the other holds a synchronous copy of every command"
          * doctest::test_suite("heavy")) {
    // Heavy, not run sanitized: the same code paths as the standby scenarios, which run sanitized.
    Layout two;
    two.commands = 2;
    Cluster c(two);
    const std::string leader = leaderOf(c);
    const std::string standby = leader == "command-1" ? "command-2" : "command-1";
    CHECK(standingOf(c, standby) == "standby");
    const uint64_t product = [&] {
        auto r = c.send("product.create", {{"code", "TWO"}, {"description", "two writers?"}, {"price", 1}});
        REQUIRE(r.ok());
        REQUIRE(r->kind == Kind::Reply);
        CHECK(r->node == leader);  // only the leader decides
        return r->body["id"].get<uint64_t>();
    }();
    CommandLoad load(c.ctx(), c.credentials(), c.gateways(), product, 4, 300);
    load.wait();
    CHECK(load.acked() == 300);
    requireExactlyOnce(c, product, load, 300);
    requireConverged(c);  // both command nodes and every replica
}

TEST_SUITE_END();
