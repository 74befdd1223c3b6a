// Two clusters measured in turns; see side_by_side.hpp.
#include "bench/side_by_side.hpp"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "bench/scenarios.hpp"

namespace jupiter::bench {
namespace {

int64_t meanPerSecond(const Doc& runs) {
    int64_t sum = 0;
    for (const auto& r : runs) sum += r.value("per_second", int64_t{0});
    return runs.empty() ? 0 : sum / static_cast<int64_t>(runs.size());
}

// How much less `x` is than `baseline`, in per cent (negative: more).
double costPercent(int64_t x, int64_t baseline) {
    return baseline > 0 ? 100.0 * static_cast<double>(baseline - x) / static_cast<double>(baseline) : 0;
}

Doc machine() { return {{"cores", std::thread::hardware_concurrency()}}; }

void writeReport(const std::string& jsonOut, const Doc& report) {
    if (!jsonOut.empty()) std::ofstream(jsonOut) << report.dump(2) << "\n";
}

}  // namespace

Alternated alternate(const ClusterControl& a, const std::string& nameA, const ClusterControl& b,
                     const std::string& nameB, int rounds, const std::function<Doc(const ClusterControl&)>& measure) {
    Alternated out;
    out.runs = {{nameA, Doc::array()}, {nameB, Doc::array()}};
    auto alone = [&](const ClusterControl& measured, const ClusterControl& frozen) {
        frozen.signalAll(SIGSTOP);
        measured.signalAll(SIGCONT);
        std::this_thread::sleep_for(kSettle);
        return measure(measured);
    };
    for (int r = 0; r < rounds; ++r) {
        out.runs[nameA].push_back(alone(a, b));
        out.runs[nameB].push_back(alone(b, a));
    }
    a.signalAll(SIGCONT);
    b.signalAll(SIGCONT);
    out.meanA = meanPerSecond(out.runs[nameA]);
    out.meanB = meanPerSecond(out.runs[nameB]);
    return out;
}

int runSecurity(const std::string& jsonOut, int seconds, int rounds) {
    zmq::context_t ctx(1);
    const auto base = std::filesystem::temp_directory_path() / fmt::format("jupiter-bench-sec-{}", getpid());
    ClusterControl curve(base / "curve", true);
    ClusterControl none(base / "none", true, ClusterSpec{.security = SecurityMode::None});
    seedData(ctx, curve);
    seedData(ctx, none);
    const Millis dur(seconds * 1000);
    Doc report = Doc::object();
    report["machine"] = machine();
    auto compare = [&](const std::string& what, int clients, auto&& measure) {
        const Alternated m = alternate(curve, "curve", none, "none", rounds, measure);
        const double cost = costPercent(m.meanA, m.meanB);
        fmt::print("  {:<22} {:>4} clients  curve {:>7} /s  none {:>7} /s  CURVE costs {:>5.1f} %\n", what, clients,
                   m.meanA, m.meanB, cost);
        report[what].push_back({{"clients", clients}, {"curve_per_second", m.meanA}, {"none_per_second", m.meanB},
                                {"curve_cost_percent", cost}, {"runs", m.runs}});
    };
    fmt::print("CURVE vs none ({} rounds of {} s each, alternating):\n", rounds, seconds);
    for (int c : {1, 8, 64})
        compare("queries via gateway", c, [&](const ClusterControl& k) { return benchQueries(ctx, k, c, dur, 0, true); });
    for (int c : {1, 8, 64})
        compare("durable commands", c, [&](const ClusterControl& k) { return benchCommands(ctx, k, c, dur, true); });
    compare("connection set-ups", 1, [&](const ClusterControl& k) { return benchConnections(ctx, k, dur); });
    // The leader's signature on every event batch, against a cluster that trusts its brokers.
    ClusterControl unsignedEvents(base / "unsigned", true, ClusterSpec{.signEvents = false});
    seedData(ctx, unsignedEvents);
    fmt::print("signed event batches vs sign_events = false ({} rounds of {} s each, alternating):\n", rounds, seconds);
    for (int c : {1, 8, 64}) {
        const Alternated m = alternate(curve, "signed", unsignedEvents, "unsigned", rounds, [&](const ClusterControl& k) {
            return benchCommands(ctx, k, c, dur, true);
        });
        const double cost = costPercent(m.meanA, m.meanB);
        fmt::print("  {:<22} {:>4} clients  signed {:>6} /s  unsigned {:>6} /s  signing costs {:>5.1f} %\n",
                   "durable commands", c, m.meanA, m.meanB, cost);
        report["event signing"].push_back({{"clients", c}, {"signed_per_second", m.meanA},
                                           {"unsigned_per_second", m.meanB}, {"signing_cost_percent", cost},
                                           {"runs", m.runs}});
    }
    writeReport(jsonOut, report);
    return 0;
}

int runSync(const std::string& jsonOut, int seconds, int rounds, int commands) {
    zmq::context_t ctx(1);
    const auto base = std::filesystem::temp_directory_path() / fmt::format("jupiter-bench-sync-{}", getpid());
    ClusterControl durable(base / "durable", true, ClusterSpec{.commands = commands});
    ClusterControl async(base / "async", true, ClusterSpec{.commands = commands, .durable = false});
    seedData(ctx, durable);
    seedData(ctx, async);
    const Millis dur(seconds * 1000);
    Doc report = Doc::object();
    report["machine"] = machine();
    report["command_nodes"] = commands;
    fmt::print("sync durable vs async, {} command node(s): stock.receive through the gateways ({} rounds of {} s each, "
               "alternating):\n",
               commands, rounds, seconds);
    Doc rows = Doc::array();
    int64_t failed = 0;
    for (int c : {1, 8, 64, 256}) {
        const Alternated m = alternate(durable, "durable", async, "async", rounds, [&](const ClusterControl& k) {
            return benchCommands(ctx, k, c, dur, true);
        });
        for (const auto& [name, runs] : m.runs.items())
            for (const auto& r : runs) failed += r.value("failed", int64_t{0});
        const double cost = costPercent(m.meanA, m.meanB);
        const Doc& lastDurable = m.runs["durable"].back();
        const Doc& lastAsync = m.runs["async"].back();
        fmt::print("  {:>4} clients  durable {:>6} /s (p99 {:>6} us)  async {:>6} /s (p99 {:>6} us)  durable/async "
                   "{:.2f}\n",
                   c, m.meanA, lastDurable.value("p99_us", 0), m.meanB, lastAsync.value("p99_us", 0),
                   m.meanB > 0 ? static_cast<double>(m.meanA) / static_cast<double>(m.meanB) : 0.0);
        rows.push_back({{"clients", c}, {"durable_per_second", m.meanA}, {"async_per_second", m.meanB},
                        {"durable_cost_percent", cost}, {"runs", m.runs}});
    }
    report["commands"] = rows;
    fmt::print("failed commands: {}\n", failed);
    writeReport(jsonOut, report);
    return failed == 0 ? 0 : 1;
}

}  // namespace jupiter::bench
