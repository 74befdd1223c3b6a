// jupiter-bench against a cluster of one's own: an empty cluster is refused, naming what the load
// lacks (it would measure error answers), and --seed creates that first; nothing fails afterwards,
// with one load process or several, and the CPU each daemon used is reported.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include "cluster.hpp"

// Every case here is a scenario (in every CI run) unless it says soak (scripts/soak.sh).
TEST_SUITE_BEGIN("scenario");

using namespace jupiter;
using namespace jupiter::testing;

namespace {

CliResult bench(const Cluster& c, const std::string& args) {
    return runShell(fmt::format("'{}/jupiter-bench' {} --dir '{}' --duration 300 --clients 2 --quiet", JUPITER_BIN_DIR,
                                args, c.dir().string()));
}

}  // namespace

TEST_CASE("bench: an empty cluster is refused naming what the load lacks - --seed creates it, then nothing fails") {
    Cluster c;
    auto queries = bench(c, "queries");
    INFO(queries.output);
    CHECK(queries.exitCode == 2);
    CHECK(queries.output.find("no sales to read") != std::string::npos);
    CHECK(queries.output.find("--seed") != std::string::npos);
    auto commands = bench(c, "commands");
    INFO(commands.output);
    CHECK(commands.exitCode == 2);
    CHECK(commands.output.find("no product to receive stock for") != std::string::npos);
    // Refusing wrote nothing.
    auto products = c.query("products.list", {{"limit", 1}});
    REQUIRE(products.ok());
    CHECK(products->body["items"].empty());

    auto seeded = bench(c, "queries --seed");
    INFO(seeded.output);
    CHECK(seeded.exitCode == 0);
    CHECK(seeded.output.find("seeding it") != std::string::npos);
    CHECK(seeded.output.find(" 0 failed") != std::string::npos);
    // The product the seed created is what the command load uses now, without --seed.
    auto again = bench(c, "commands");
    INFO(again.output);
    CHECK(again.exitCode == 0);
    CHECK(again.output.find(" 0 failed") != std::string::npos);
    // Where the CPU went, per daemon: the command node worked for the commands.
    CHECK(again.output.find("cpu seconds in") != std::string::npos);
    CHECK(again.output.find("command ") != std::string::npos);
    // Two load processes at once, their figures summed.
    auto two = bench(c, "queries --procs 2");
    INFO(two.output);
    CHECK(two.exitCode == 0);
    CHECK(two.output.find(" 0 failed") != std::string::npos);
}

TEST_SUITE_END();
