// jupiter-bench: measures Jupiter on the machine it runs on and prints a table plus JSON.
// `jupiter-bench all` starts its own cluster in a temporary folder; the other subcommands take
// --dir to use a running cluster (default $JUPITER_DIR or ./jupiter-data).
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bench/plot_svg.hpp"
#include "bench/processes.hpp"
#include "bench/scenarios.hpp"
#include "bench/side_by_side.hpp"
#include "common/paths.hpp"

using namespace jupiter;
using namespace jupiter::bench;

namespace {

void printLoadRow(const Doc& d) {
    fmt::print("  {:<12} {:>4} clients  {:>9} /s  p50 {:>6} us  p99 {:>7} us  max {:>8} us  failed {}\n",
               d.value("target", std::string("")), d.value("clients", 0), d.value("per_second", 0),
               d.value("p50_us", 0), d.value("p99_us", 0), d.value("max_us", 0), d.value("failed", 0));
}

int runAll(const std::string& jsonOut, int seconds) {
    zmq::context_t ctx(1);
    const auto dir = std::filesystem::temp_directory_path() / fmt::format("jupiter-bench-{}", getpid());
    ClusterControl cluster(dir, true);
    seedData(ctx, cluster);
    const Millis dur(seconds * 1000);
    Doc report = Doc::object();
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    report["machine"] = {{"cores", std::thread::hardware_concurrency()}, {"host", host}};

    fmt::print("queries (sale.get):\n");
    Doc queries = Doc::array();
    for (int c : {1, 8, 64}) {
        for (Doc d : {benchEcho(ctx, c, dur), benchQueries(ctx, cluster, c, dur, 1), benchQueries(ctx, cluster, c, dur, 0)}) {
            printLoadRow(d);
            queries.push_back(d);
        }
    }
    report["queries"] = queries;
    fmt::print("durable commands (stock.receive):\n");
    Doc rocks = benchRocksSync(2000);
    fmt::print("  plain synced RocksDB puts: {} /s\n", rocks.value("per_second", 0));
    Doc commands = Doc::array();
    for (int c : {1, 8, 64}) {
        Doc d = benchCommands(ctx, cluster, c, dur);
        d["target"] = "gateway";
        printLoadRow(d);
        commands.push_back(d);
    }
    report["rocksdb_synced_writes"] = rocks;
    report["commands"] = commands;
    Doc lag = benchReplicationLag(ctx, cluster, 300);
    fmt::print("replication lag (ack -> applied on all three): p50 {} us, p99 {} us, max {} us\n",
               lag.value("p50_us", 0), lag.value("p99_us", 0), lag.value("max_us", 0));
    report["replication_lag"] = lag;
    Doc catchUp = benchCatchUp(ctx, cluster, 10000);
    fmt::print("catch-up of a replica {} events behind: {:.2f} s, {} events/s ({} events/s from its first answer)\n",
               catchUp.value("behind_events", 0), catchUp.value("seconds", 0.0), catchUp.value("events_per_second", 0),
               catchUp.value("replay_events_per_second", 0));
    report["catch_up"] = catchUp;
    Doc failover = benchFailover(ctx, cluster, 8);
    for (const auto& [k, d] : failover.items())
        fmt::print("failover {:<16} {:<8} of {:<10} failed {}  longest gap {} us  max latency {} us  monitor detection "
                   "{} ms  client failovers {}\n",
                   k, d.value("fault", std::string()), d.value("node", std::string()), d.value("failed", 0),
                   d.value("longest_gap_us", 0), d.value("max_us", 0), d.value("monitor_detection_ms", 0),
                   d.value("client_failovers", 0));
    report["failover"] = failover;
    report["rss_kib"] = daemonMemory(cluster);
    fmt::print("resident memory (KiB): {}\n", report["rss_kib"].dump());
    if (!jsonOut.empty()) std::ofstream(jsonOut) << report.dump(2) << "\n";
    else fmt::print("{}\n", report.dump(2));
    return 0;
}

// The spare gateways and brokers: queries/s with clients on one gateway against clients spread
// over all of them (alternating rounds, same cluster), then the failover figures of every case.
int runSpares(const std::string& jsonOut, int seconds, int rounds, int clients) {
    zmq::context_t ctx(1);
    const auto dir = std::filesystem::temp_directory_path() / fmt::format("jupiter-bench-spares-{}", getpid());
    ClusterControl cluster(dir, true);
    seedData(ctx, cluster);
    Doc report = Doc::object();
    report["machine"] = {{"cores", std::thread::hardware_concurrency()}};
    Doc spread = benchGatewaySpread(ctx, cluster, clients, Millis(seconds * 1000), rounds);
    fmt::print("queries via gateways, {} clients ({} rounds of {} s, alternating): one gateway {} /s, spread over {} "
               "gateways {} /s (x{:.2f})\n",
               clients, rounds, seconds, spread.value("one_gateway_median_per_second", 0),
               spread.value("gateways", 0), spread.value("all_gateways_median_per_second", 0),
               spread.value("ratio", 0.0));
    report["gateway_spread"] = spread;
    Doc failover = benchFailover(ctx, cluster, 8);
    for (const auto& [k, d] : failover.items())
        fmt::print("failover {:<16} {:<8} of {:<10} ({}) failed {}  longest gap {} us  max latency {} us  client "
                   "failovers {}\n",
                   k, d.value("fault", std::string()), d.value("node", std::string()), d.value("load", std::string()),
                   d.value("failed", 0), d.value("longest_gap_us", 0), d.value("max_us", 0),
                   d.value("client_failovers", 0));
    report["failover"] = failover;
    if (!jsonOut.empty()) std::ofstream(jsonOut) << report.dump(2) << "\n";
    return 0;
}

// routing = "primary" against "spread": queries/s through the gateways at several client counts,
// the gateways restarted with the other setting between rounds (same cluster, same run), beside
// straight-to-one-replica; with the CPU seconds each daemon used, which shows where the ceiling is.
int runRouting(const std::string& jsonOut, int seconds, int rounds, const std::string& svgOut) {
    const auto dir = std::filesystem::temp_directory_path() / fmt::format("jupiter-bench-routing-{}", getpid());
    ClusterControl cluster(dir, true, ClusterSpec{.commands = 1});
    {
        zmq::context_t ctx(1);
        seedData(ctx, cluster);
    }
    const auto file = cluster.config().source;
    auto setRouting = [&](const std::string& mode) {
        std::ifstream in(file);
        std::stringstream ss;
        ss << in.rdbuf();
        std::string toml = ss.str();
        for (const std::string from : {"routing = \"primary\"", "routing = \"spread\""})
            if (auto at = toml.find(from); at != std::string::npos) toml.replace(at, from.size(), "routing = \"" + mode + "\"");
        std::ofstream(file) << toml;
        for (const auto* g : cluster.config().nodesWith(Role::Gateway)) {
            cluster.cli(fmt::format("kill {} --signal TERM", g->name));
            if (cluster.cli(fmt::format("start {}", g->name)) != 0)
                throw std::runtime_error("could not restart " + g->name + " with routing " + mode);
        }
        std::this_thread::sleep_for(kSettle);  // replicas judged UP again, the route chosen
    };
    const Millis dur(seconds * 1000);
    Doc report = Doc::object();
    report["machine"] = {{"cores", std::thread::hardware_concurrency()}};
    const std::vector<int> clientCounts{8, 64, 256};
    Doc runs = Doc::object();
    for (int r = 0; r < rounds; ++r)
        for (const std::string mode : {"primary", "spread"}) {
            setRouting(mode);
            for (int c : clientCounts) {
                Doc d = runLoadProcesses(cluster, 1, [&] {
                    zmq::context_t ctx(1);
                    return benchQueries(ctx, cluster, c, dur, 0, true);
                });
                d["routing"] = mode;
                runs[mode][std::to_string(c)].push_back(d);
            }
        }
    Doc direct = Doc::object();
    for (int c : clientCounts) {
        zmq::context_t ctx(1);
        direct[std::to_string(c)] = benchQueries(ctx, cluster, c, dur, 1, true);
    }
    auto mean = [](const Doc& list) {
        int64_t sum = 0;
        for (const auto& d : list) sum += d.value("per_second", int64_t{0});
        return list.empty() ? 0 : sum / static_cast<int64_t>(list.size());
    };
    auto busiest = [](const Doc& d) {
        std::string who;
        double most = -1;
        const Doc cpu = d.value("cpu_seconds", Doc::object());
        for (const auto& [node, sec] : cpu.items())
            if (sec.get<double>() > most) most = sec.get<double>(), who = node;
        return fmt::format("{} {:.2f} s", who, most);
    };
    fmt::print("queries/s through the gateways ({} rounds of {} s each, alternating; sale.get):\n", rounds, seconds);
    Doc table = Doc::array();
    for (int c : clientCounts) {
        const auto key = std::to_string(c);
        const int64_t p = mean(runs["primary"][key]), sp = mean(runs["spread"][key]);
        const int64_t d = direct[key].value("per_second", int64_t{0});
        fmt::print("  {:>4} clients  primary {:>7} /s (busiest: {})  spread {:>7} /s (busiest: {})  x{:.2f}  "
                   "straight to query-1 {:>7} /s\n",
                   c, p, busiest(runs["primary"][key].back()), sp, busiest(runs["spread"][key].back()),
                   p > 0 ? static_cast<double>(sp) / static_cast<double>(p) : 0.0, d);
        table.push_back({{"clients", c}, {"primary_per_second", p}, {"spread_per_second", sp}, {"direct_per_second", d}});
    }
    report["table"] = table;
    report["runs"] = runs;
    report["direct"] = direct;
    if (!svgOut.empty()) {
        std::vector<double> xs;
        PlotSeries primary{"routing primary", "#1f77b4", {}}, spread{"routing spread", "#d62728", {}},
            straight{"straight to query-1", "#7f7f7f", {}};
        for (const auto& row : table) {
            xs.push_back(row["clients"].get<double>());
            primary.ys.push_back(row["primary_per_second"].get<double>());
            spread.ys.push_back(row["spread_per_second"].get<double>());
            straight.ys.push_back(row["direct_per_second"].get<double>());
        }
        std::ofstream(svgOut) << linePlotSvg(fmt::format("queries/s through the gateways ({} cores)",
                                                         std::thread::hardware_concurrency()),
                                             "clients", "queries/s", xs, {primary, spread, straight});
    }
    if (!jsonOut.empty()) std::ofstream(jsonOut) << report.dump(2) << "\n";
    return 0;
}

// Standby command nodes: durable commands/s with one command node and with three (each command
// on the leader and one standby before it is acknowledged), the same client counts one after the
// other in the same run; then kill -9 and SIGSTOP of the leader under a command load.
int runStandby(const std::string& jsonOut, int seconds, int rounds, int trials, bool failoverOnly) {
    zmq::context_t ctx(1);
    Doc report = Doc::object();
    report["machine"] = {{"cores", std::thread::hardware_concurrency()}};
    const Millis dur(seconds * 1000);
    if (!failoverOnly)
        fmt::print("durable commands/s (stock.receive through the gateways; median of {} runs of {} s):\n", rounds,
                   seconds);
    for (int commands : {1, 3}) {
        if (failoverOnly && commands == 1) continue;
        const auto dir =
            std::filesystem::temp_directory_path() / fmt::format("jupiter-bench-standby-{}-{}", commands, getpid());
        ClusterControl cluster(dir, true, ClusterSpec{.commands = commands});
        seedData(ctx, cluster);
        const std::string key = commands == 1 ? "one_command_node" : "leader_and_two_standbys";
        Doc rows = Doc::array();
        for (int c : {1, 8, 64}) {
            if (failoverOnly) break;
            std::vector<int64_t> v;
            Doc runs = Doc::array();
            for (int r = 0; r < rounds; ++r) {
                Doc d = benchCommands(ctx, cluster, c, dur, true);
                v.push_back(d.value("per_second", int64_t{0}));
                runs.push_back(d);
            }
            std::sort(v.begin(), v.end());
            const int64_t median = v[v.size() / 2];
            fmt::print("  {:<24} {:>3} clients  {:>6} /s  (p99 {} us, failed {})\n", key, c, median,
                       runs.back().value("p99_us", 0), runs.back().value("failed", 0));
            rows.push_back({{"clients", c}, {"median_per_second", median}, {"runs", runs}});
        }
        report[key] = rows;
        if (commands > 1) {
            Doc failover = benchLeaderFailover(ctx, cluster, 8, trials);
            for (const auto& [k, d] : failover.items())
                fmt::print("failover {:<15} {:<8} of the leader, {} trial(s): failed {}, lost or doubled {}; longest gap "
                           "between acks p50 {} ms, max {} ms; new leader after p50 {} ms, max {} ms; max latency {} ms\n",
                           k, d.value("fault", std::string()), d.value("trials", 0), d.value("failed", 0),
                           d.value("lost_or_doubled", 0), d.value("longest_gap_p50_us", 0) / 1000,
                           d.value("longest_gap_max_us", 0) / 1000, d.value("new_leader_p50_ms", -1),
                           d.value("new_leader_max_ms", -1), d.value("max_us", 0) / 1000);
            report["failover"] = failover;
        }
    }
    if (!jsonOut.empty()) std::ofstream(jsonOut) << report.dump(2) << "\n";
    return 0;
}

// Catch-up: a replica killed while `events` events are written, started again; then the same
// replica with its data folder removed, twice: installing a copy of the state (the default), and
// replaying the whole history (snapshot_min_lag = 0). Beside them, in the same run, the rate at
// which plain RocksDB takes unsynced batches of 5,000 puts of the same size.
int runCatchUp(const std::string& jsonOut, int events, int commands) {
    zmq::context_t ctx(1);
    const auto dir = std::filesystem::temp_directory_path() / fmt::format("jupiter-bench-catchup-{}", getpid());
    ClusterControl cluster(dir, true, ClusterSpec{.commands = commands});
    seedData(ctx, cluster);
    Doc report = Doc::object();
    report["machine"] = {{"cores", std::thread::hardware_concurrency()}};
    report["rocksdb_batched_puts"] = benchRocksBatched(events);
    fmt::print("plain RocksDB, unsynced batches of 5,000 puts: {} puts/s\n",
               report["rocksdb_batched_puts"].value("per_second", 0));
    for (Rejoin how : {Rejoin::Lagging, Rejoin::NewCopy, Rejoin::NewReplay}) {
        Doc d = benchCatchUp(ctx, cluster, events, how);
        fmt::print("{} replica, {} events behind: serving at the head {:.2f} s after its start ({} events/s), {:.2f} s "
                   "after its first answer{}\n",
                   rejoinName(how), d.value("behind_events", 0), d.value("seconds", 0.0), d.value("events_per_second", 0),
                   d.value("replay_seconds", 0.0), d.value("caught_up", false) ? "" : " (NOT caught up within 300 s)");
        fmt::print("  its log: {}\n", d.value("replica_reports", std::string("(no line)")));
        report[how == Rejoin::Lagging ? "lagging_replica" : how == Rejoin::NewCopy ? "new_replica_copy" : "new_replica_replay"] = d;
    }
    report["event_log"] = eventLogSize(cluster);
    fmt::print("event log: {} events, {} bytes on disk in the command node's store ({} bytes per million events)\n",
               report["event_log"].value("events", 0), report["event_log"].value("store_bytes", 0),
               report["event_log"].value("bytes_per_million", 0));
    report["rss_kib"] = daemonMemory(cluster);
    fmt::print("resident memory (KiB): {}\n", report["rss_kib"].dump());
    if (!jsonOut.empty()) std::ofstream(jsonOut) << report.dump(2) << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Jupiter benchmarks"};
    app.require_subcommand(1);
    std::string dir, json;
    int clients = 8, durationMs = 3000, replica = 0, seconds = 3;
    bool quiet = false;

    auto* all = app.add_subcommand("all", "start a cluster in a temp folder and measure everything");
    all->add_option("--json", json, "write the JSON report to this file");
    all->add_option("--seconds", seconds, "duration of each load")->check(CLI::Range(1, 60));

    int rounds = 2;
    // The options every cluster-starting comparison takes.
    auto runOptions = [&](CLI::App* sc, const char* roundsHelp) {
        sc->add_option("--json", json, "write the JSON report to this file");
        sc->add_option("--seconds", seconds, "duration of each load")->check(CLI::Range(1, 60));
        sc->add_option("--rounds", rounds, roundsHelp)->check(CLI::Range(1, 10));
    };
    auto* security = app.add_subcommand("security", "CURVE against mode \"none\" (queries, commands, connection "
                                                    "set-ups), and signed event batches against sign_events = false "
                                                    "(durable commands), clusters side by side");
    runOptions(security, "alternating rounds per figure");

    int syncCommands = Layout{}.commands;
    auto* sync = app.add_subcommand("sync", "sync \"durable\" against \"async\": durable commands/s at 1, 8, 64 and "
                                            "256 clients on two clusters side by side");
    runOptions(sync, "alternating rounds per figure");
    sync->add_option("--commands", syncCommands, "command nodes in each cluster (1: no standby copy)")
        ->check(CLI::Range(1, 5));

    int spareClients = 64;
    auto* spares = app.add_subcommand("spares", "start a cluster in a temp folder: queries/s on one gateway vs spread "
                                                "over all, then kill -9 / SIGSTOP of a replica, a gateway and a broker "
                                                "under load");
    runOptions(spares, "alternating rounds");
    spares->add_option("--clients", spareClients, "query clients for the spread figure")->check(CLI::Range(1, 1024));

    auto* standby = app.add_subcommand("standby", "start clusters in temp folders with one and with three command "
                                                  "nodes: durable commands/s at 1, 8 and 64 clients in each, then "
                                                  "kill -9 and SIGSTOP of the leader under a command load");
    runOptions(standby, "runs per figure (the median is reported)");
    int standbyTrials = 1;
    bool failoverOnly = false;
    standby->add_option("--trials", standbyTrials, "leader faults per signal (p50 and max are reported)")
        ->check(CLI::Range(1, 100));
    standby->add_flag("--failover-only", failoverOnly, "skip the commands/s figures: only the leader faults");

    auto* routing = app.add_subcommand("routing", "start a cluster in a temp folder: queries/s with routing primary "
                                                  "against spread at 8, 64 and 256 clients (gateways restarted between "
                                                  "rounds), beside straight to one replica");
    runOptions(routing, "alternating rounds");
    std::string svg;
    routing->add_option("--svg", svg, "also draw queries/s against clients for each routing to this SVG file");

    int catchUpEvents = 100000;
    auto* catchup = app.add_subcommand("catchup", "start a cluster in a temp folder: catch-up of a replica that missed "
                                                  "--events events, then of a new (empty) one installing a copy of the state and one replaying "
                                                  "everything, beside plain RocksDB");
    catchup->add_option("--json", json, "write the JSON report to this file");
    catchup->add_option("--events", catchUpEvents, "events written while the replica is down")
        ->check(CLI::Range(1000, 10000000));
    int catchUpCommands = Layout{}.commands;
    catchup->add_option("--commands", catchUpCommands, "command nodes (1 writes the history fastest on a small machine)")
        ->check(CLI::Range(1, 5));

    auto* queries = app.add_subcommand("queries", "query load through the gateways or one replica (sale.get of "
                                                  "existing sales)");
    auto* commands = app.add_subcommand("commands", "durable command load through the gateways (stock.receive of an "
                                                    "existing product)");
    bool seed = false;
    int procs = 1;
    for (auto* sc : {queries, commands}) {
        sc->add_option("--dir", dir, "cluster folder");
        sc->add_option("--procs", procs, "load-generator processes at once, each with --clients clients; their figures "
                                         "are summed")
            ->check(CLI::Range(1, 64));
        sc->add_flag("--seed", seed, "when the cluster lacks what the load needs, create it first (10 sellers, 10 "
                                     "products with stock, 100 sales); without it such a cluster is refused");
        sc->add_option("--clients", clients, "concurrent clients")->check(CLI::Range(1, 1024));
        sc->add_option("--duration", durationMs, "milliseconds")->check(CLI::Range(100, 600000));
        sc->add_flag("--quiet", quiet, "one summary line");
    }
    queries->add_option("--replica", replica, "straight to the Nth query node instead of the gateways")
        ->check(CLI::Range(0, kMaxReplicas));
    int gateways = 0;
    queries->add_option("--gateways", gateways, "spread the clients over the first N gateways only (default: all)")
        ->check(CLI::Range(0, kMaxSpares));
    auto* echo = app.add_subcommand("echo", "plain ZeroMQ echo over loopback (the transport's limit)");
    echo->add_option("--clients", clients)->check(CLI::Range(1, 1024));
    echo->add_option("--duration", durationMs)->check(CLI::Range(100, 600000));
    auto* failover = app.add_subcommand("failover", "kill -9 and SIGSTOP of the first query node and gateway under a query load, kill -9 of the first broker under a command load");
    failover->add_option("--dir", dir, "cluster folder");
    failover->add_option("--clients", clients)->check(CLI::Range(1, 1024));
    std::string keyFile;
    app.fallthrough();  // --key may follow the subcommand
    app.add_option("--key", keyFile, "the client's secret key (NAME.key_secret); default: $JUPITER_KEY, else the "
                                     "cluster's admin key");
    CLI11_PARSE(app, argc, argv);
    if (!keyFile.empty()) setenv("JUPITER_KEY", keyFile.c_str(), 1);  // read where credentials are loaded

    try {
        if (*all) return runAll(json, seconds);
        if (*security) return runSecurity(json, seconds, rounds);
        if (*sync) return runSync(json, seconds, rounds, syncCommands);
        if (*spares) return runSpares(json, seconds, rounds, spareClients);
        if (*standby) return runStandby(json, seconds, rounds, standbyTrials, failoverOnly);
        if (*routing) return runRouting(json, seconds, rounds, svg);
        if (*catchup) return runCatchUp(json, catchUpEvents, catchUpCommands);
        Doc d;
        if (*echo) {
            zmq::context_t ctx(1);
            d = benchEcho(ctx, clients, Millis(durationMs));
        } else if (*failover) {
            zmq::context_t ctx(1);
            ClusterControl cluster(resolveClusterDir(dir), false);
            d = benchFailover(ctx, cluster, clients);
        } else {
            ClusterControl cluster(resolveClusterDir(dir), false);
            {
                // An empty cluster would answer every request with an error: measure Jupiter, not that.
                // (This context is gone before any load process is forked.)
                zmq::context_t ctx(1);
                std::string missing = missingForLoad(ctx, cluster, commands->parsed());
                if (!missing.empty() && seed) {
                    std::cerr << "jupiter-bench: the cluster lacks data (" << missing << "); seeding it\n";
                    seedData(ctx, cluster);
                    missing = missingForLoad(ctx, cluster, commands->parsed());
                }
                if (!missing.empty()) {
                    std::cerr << "jupiter-bench: not measuring the cluster in " << cluster.config().dir.string() << ": "
                              << missing << "; add --seed to create what the load needs, or send it yourself\n";
                    return 2;
                }
            }
            // Each load process makes its own context.
            d = runLoadProcesses(cluster, procs, [&] {
                zmq::context_t ctx(1);
                return queries->parsed()
                           ? benchQueries(ctx, cluster, clients, Millis(durationMs), replica, false, gateways)
                           : benchCommands(ctx, cluster, clients, Millis(durationMs));
            });
        }
        if (quiet) {
            fmt::print("{} ok, {} failed, {} /s, p99 {} us, longest gap between replies {} us\n", d.value("ok", 0),
                       d.value("failed", 0), d.value("per_second", 0), d.value("p99_us", 0),
                       d.value("longest_gap_us", 0));
            if (d.contains("cpu_seconds")) {
                // Where the time went: the busiest daemon is the bottleneck.
                std::string cpu;
                for (const auto& [node, sec] : d["cpu_seconds"].items())
                    if (sec.get<double>() > 0) cpu += fmt::format("{}{} {:.2f}", cpu.empty() ? "" : ", ", node, sec.get<double>());
                fmt::print("cpu seconds in {:.1f} s: {}; load generators {:.2f}\n", d.value("wall_seconds", 0.0),
                           cpu.empty() ? "none" : cpu, d.value("load_cpu_seconds", 0.0));
            }
        } else {
            fmt::print("{}\n", d.dump(2));
        }
        return d.value("failed", 0) == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "jupiter-bench: " << e.what() << "\n";
        return 2;
    }
}
