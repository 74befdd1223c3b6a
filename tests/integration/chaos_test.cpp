// jupiter-chaos end to end: a short seeded run of kills and stops of replicas, gateways and brokers
// on a cluster the tool starts for itself must lose no query and no command, converge, and name
// every fault in its reports and its timeline. Outcomes only: no timing thresholds.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "checks.hpp"
#include "cluster.hpp"
#include "common/doc.hpp"
#include "tests/temp_dir.hpp"
#include "tests/text.hpp"

// Every case here is a scenario (in every CI run) unless it says soak (scripts/soak.sh).
TEST_SUITE_BEGIN("scenario");


using jupiter::Doc;
using jupiter::testing::TempDir;
using jupiter::testing::slurp;

namespace {

using Run = jupiter::testing::CliResult;

// program: "jupiter-chaos", or "jupiter chaos" (the CLI's front door to the same tool).
Run runChaos(const std::string& args, const std::string& program = "jupiter-chaos") {
    return jupiter::testing::runShell(fmt::format("'{}/{}' {}", JUPITER_BIN_DIR, program, args));
}

}  // namespace

TEST_CASE("chaos: a seeded run mixing replica, gateway and broker faults loses nothing - converges - reports all"
          * doctest::test_suite("heavy")) {
    // Heavy, not run sanitized: process faults repeated under load: starved.
    TempDir tmp("chaos-it");
    const auto noCluster = tmp.path / "no-cluster";  // nothing runs there: the tool starts its own
    const auto out = tmp.path / "out";
    const Run run = runChaos(fmt::format("--dir '{}' --duration 12s --every 1.5s --faults "
                                         "kill,stop,kill-gateway,stop-gateway,kill-broker,stop-broker --seed 11 --out '{}'",
                                         noCluster.string(), out.string()));
    INFO(run.output);
    CHECK(run.exitCode == 0);

    const std::string json = slurp(out / "report.json");
    REQUIRE_FALSE(json.empty());
    const Doc report = Doc::parse(json);
    CHECK(report["failed_queries"].get<uint64_t>() == 0);
    CHECK(report["lost_commands"].get<uint64_t>() == 0);
    CHECK(report["converged"].get<bool>());
    CHECK(report["acknowledged_commands"].get<uint64_t>() > 0);
    CHECK(report["ok_queries"].get<uint64_t>() + report["failed_queries"].get<uint64_t>() ==
          report["total_queries"].get<uint64_t>());
    const Doc& faults = report["faults"];
    REQUIRE(faults.is_array());
    CHECK(faults.size() >= 2);

    const std::string text = slurp(out / "report.txt");
    const std::string svg = slurp(out / "timeline.svg");
    std::set<std::string> roles;  // of the nodes disturbed
    for (const auto& f : faults) {
        const std::string label = f["label"].get<std::string>();
        const std::string kind = f["kind"].get<std::string>();
        const std::string role = kind.find("gateway") != std::string::npos  ? "gateway"
                                 : kind.find("broker") != std::string::npos ? "broker"
                                                                            : "query";
        roles.insert(role);
        CHECK_MESSAGE(label.find(fmt::format("{} {}-", kind, role)) == 0, label);
        CHECK_MESSAGE(text.find(label) != std::string::npos, label);
        CHECK_MESSAGE(svg.find(label) != std::string::npos, label);
    }
    // The seed's schedule disturbs every kind of node.
    CHECK(roles == std::set<std::string>{"query", "gateway", "broker"});
    CHECK(text.find("PASS") != std::string::npos);

    CHECK(svg.rfind("<svg", 0) == 0);
    const auto last = svg.find_last_not_of(" \n");
    REQUIRE(last != std::string::npos);
    CHECK(svg.substr(0, last + 1).ends_with("</svg>"));
    for (const char* lane : {"query-1", "query-2", "query-3", "gateway-1", "gateway-2", "broker-1", "broker-2",
                             "gateway uses"})
        CHECK_MESSAGE(svg.find(fmt::format(">{}</text>", lane)) != std::string::npos, lane);
    CHECK(std::filesystem::exists(out / "transitions.log"));
}

TEST_CASE("chaos: killing and stopping the leading command node loses no command - converges - reports it" * doctest::test_suite("soak")) {
    TempDir tmp("chaos-it");
    const auto out = tmp.path / "out";
    const Run run = runChaos(fmt::format("--dir '{}' --duration 12s --every 3s --faults kill-leader,stop-leader "
                                         "--seed 5 --out '{}'",
                                         (tmp.path / "no-cluster").string(), out.string()));
    INFO(run.output);
    CHECK(run.exitCode == 0);
    const std::string json = slurp(out / "report.json");
    REQUIRE_FALSE(json.empty());
    const Doc report = Doc::parse(json);
    CHECK(report["lost_commands"].get<uint64_t>() == 0);
    CHECK(report["failed_queries"].get<uint64_t>() == 0);
    CHECK(report["converged"].get<bool>());
    CHECK(report["acknowledged_commands"].get<uint64_t>() > 0);
    const Doc& faults = report["faults"];
    REQUIRE(faults.is_array());
    CHECK(faults.size() >= 1);
    for (const auto& f : faults) {
        const std::string label = f["label"].get<std::string>();
        CHECK_MESSAGE(label.find("-leader command-") != std::string::npos, label);
    }
    const std::string svg = slurp(out / "timeline.svg");
    for (const char* lane : {"command-1", "command-2", "command-3"})
        CHECK_MESSAGE(svg.find(fmt::format(">{}</text>", lane)) != std::string::npos, lane);
    const std::string transitions = slurp(out / "transitions.log");
    CHECK(transitions.find(" LEADER (epoch ") != std::string::npos);
}

TEST_CASE("chaos: a bad option is refused before any cluster is touched - naming the option") {
    for (const char* program : {"jupiter-chaos", "jupiter' 'chaos"}) {
        TempDir tmp("chaos-it");
        const Run run = runChaos(fmt::format("--dir '{}' --duration 5x", tmp.path.string()), program);
        INFO(program, run.output);
        CHECK(run.exitCode == 2);
        CHECK(run.output.find("--duration '5x'") != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(tmp.path / "chaos"));
    }
}

TEST_CASE("chaos: partitions in a lab network lose nothing - converge - are reported like the other faults" * doctest::test_suite("soak")) {
    if (const std::string why = jupiter::testing::labUnavailable(); !why.empty()) {
        fmt::print(stderr, "SKIPPED: {}\n", why);
        return;
    }
    TempDir tmp("chaos-it");
    const auto out = tmp.path / "out";
    // No cluster there: the tool starts one in a lab network of its own (`jupiter up --netns`).
    const Run run = runChaos(fmt::format("--dir '{}' --duration 16s --every 2.5s --faults partition --seed 3 --out '{}'",
                                         (tmp.path / "no-cluster").string(), out.string()));
    INFO(run.output);
    CHECK(run.exitCode == 0);
    const std::string json = slurp(out / "report.json");
    REQUIRE_FALSE(json.empty());
    const Doc report = Doc::parse(json);
    CHECK(report["failed_queries"].get<uint64_t>() == 0);
    CHECK(report["lost_commands"].get<uint64_t>() == 0);
    CHECK(report["converged"].get<bool>());
    CHECK(report["acknowledged_commands"].get<uint64_t>() > 0);
    const Doc& faults = report["faults"];
    REQUIRE(faults.is_array());
    CHECK(faults.size() >= 2);
    const std::string text = slurp(out / "report.txt");
    const std::string svg = slurp(out / "timeline.svg");
    std::set<std::string> targets;
    for (const auto& f : faults) {
        const std::string label = f["label"].get<std::string>();
        CHECK(f["kind"].get<std::string>() == "partition");
        CHECK_MESSAGE(f["problem"].get<std::string>().empty(), label);
        CHECK_MESSAGE(f["recovered_ms"].is_number(), label);  // healed
        targets.insert(f["target"].get<std::string>());
        CHECK_MESSAGE(text.find(label) != std::string::npos, label);
        CHECK_MESSAGE(svg.find(label) != std::string::npos, label);
    }
    CHECK(targets.size() >= 2);
    CHECK(text.find("PASS") != std::string::npos);
    CHECK(svg.find("cut off (partition)") != std::string::npos);
}

TEST_SUITE_END();
