// New and far-behind replicas install a copy of a command node's state instead of replaying the
// whole history: under load from a leader with standbys, and again from nothing after a kill -9 in
// the middle of an install. Real processes; outcomes and the nodes' own log lines.
#include <doctest/doctest.h>

#include <filesystem>

#include "checks.hpp"
#include "cluster.hpp"
#include "load.hpp"

// Every case here is a scenario (in every CI run) unless it says soak (scripts/soak.sh).
TEST_SUITE_BEGIN("scenario");

using namespace jupiter;
using namespace jupiter::testing;

namespace {

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

constexpr const char* kInstalling = "installing a copy of the state";
constexpr const char* kInstalled = "installed a copy of the state at sequence";

}  // namespace

TEST_CASE("snapshot: a new replica joining a leader with standbys under load installs a copy - nothing lost - converges" * doctest::test_suite("soak")) {
    // A copy is worth it here from 2,000 events behind (10,000 by default).
    Cluster c(Layout{}, withNodeKey("query-3", "snapshot_min_lag = 2000"));
    const uint64_t product = createProduct(c);
    const uint64_t total = 8000;
    CommandLoad load(c.ctx(), c.credentials(), c.gateways(), product, 16, total);
    REQUIRE(Cluster::waitFor([&] { return load.acked() > 3000; }, Millis(120000)));
    killNine(c, "query-3");
    std::filesystem::remove_all(c.config().nodeDataDir("query-3"));
    restart(c, "query-3");  // while the leader keeps committing groups its standbys have yet to hold
    load.wait();
    CHECK(load.abandoned() == 0);
    requireExactlyOnce(c, product, load, total);
    requireConverged(c);
    const std::string log = logOf(c, "query-3");
    INFO(log);
    CHECK(count(log, kInstalled) == 1);
}

TEST_CASE("snapshot: a replica killed while installing a copy starts over from nothing - then converges" * doctest::test_suite("soak")) {
    // 1 KiB chunks: the install of ~10,000 records takes hundreds of round trips, time to kill it.
    Cluster c(lean(), withNodeKey("query-3", "snapshot_chunk_bytes = 1024"));
    const uint64_t product = createProduct(c);
    {
        CommandLoad load(c.ctx(), c.credentials(), c.gateways(), product, 32, 10000);
        load.wait();
    }
    killNine(c, "query-3");
    std::filesystem::remove_all(c.config().nodeDataDir("query-3"));
    restart(c, "query-3");
    REQUIRE(Cluster::waitFor([&] { return count(logOf(c, "query-3"), kInstalling) > 0; }, Millis(20000)));
    killNine(c, "query-3");
    {
        const std::string log = logOf(c, "query-3");
        INFO(log);
        REQUIRE(count(log, kInstalled) == 0);  // really cut short
    }
    restart(c, "query-3");
    CHECK(stockOn(c, product, 3, 10001) == 10000);
    requireConverged(c);
    const std::string log = logOf(c, "query-3");
    INFO(log);
    CHECK(log.find("cut short") != std::string::npos);
    CHECK(count(log, kInstalled) == 1);
}

TEST_SUITE_END();
