// jupiter-chaos: the availability experiment, automated. Runs a query load and a command stream
// through the gateways while killing, stopping and restarting query replicas, gateways and brokers at random (seeded)
// moments; reports availability, lost commands, detection/reroute times and convergence, and
// draws the run as an SVG timeline. Exit code 0 only when nothing failed, nothing was lost and
// the replicas converged.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "chaos/experiment.hpp"
#include "chaos/report.hpp"
#include "chaos/timeline_svg.hpp"
#include "client/client.hpp"
#include "client/failover_client.hpp"
#include "common/paths.hpp"
#include "netlab/ip_tool.hpp"

using namespace jupiter;
using namespace jupiter::chaos;

namespace {

constexpr int kExitFailed = 1;  // the experiment ran and found failures, losses or divergence
constexpr int kExitError = 2;   // it could not run (bad option, no cluster, unwritable --out)

std::atomic<bool> gInterrupted{false};

void onSignal(int) { gInterrupted = true; }

// A cluster is there when DIR has a configuration and one of its gateways answers ping.
bool clusterAnswers(zmq::context_t& ctx, const std::filesystem::path& dir) {
    if (!std::filesystem::exists(clusterConfigPath(dir))) return false;
    auto config = loadConfig(clusterConfigPath(dir));
    if (!config) return false;
    auto credentials = Credentials::forClient(*config, "");
    if (!credentials) return false;
    FailoverClient gw(ctx, *credentials, config->endpointsOf(Role::Gateway));
    auto pong = gw.call(makeRequest(Kind::Control, "ping", Doc::object()), Millis(1000));
    return pong.ok();
}

// `jupiter up` prints its table on stdout; with --json stdout must carry only the report.
std::unique_ptr<bench::ClusterControl> startOwnCluster(const std::filesystem::path& dir, int replicas,
                                                        bool quietStdout, bool netns) {
    const int saved = quietStdout ? dup(STDOUT_FILENO) : -1;
    if (saved >= 0) {
        std::fflush(stdout);
        dup2(STDERR_FILENO, STDOUT_FILENO);
    }
    std::unique_ptr<bench::ClusterControl> cluster;
    try {
        cluster = std::make_unique<bench::ClusterControl>(dir, true,
                                                          bench::ClusterSpec{.replicas = replicas, .netns = netns});
    } catch (...) {
        if (saved >= 0) dup2(saved, STDOUT_FILENO), close(saved);
        throw;
    }
    if (saved >= 0) {
        std::fflush(stdout);
        dup2(saved, STDOUT_FILENO);
        close(saved);
    }
    return cluster;
}

void writeFile(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw std::runtime_error(fmt::format("cannot write {}", path.string()));
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"jupiter-chaos: query and command load through the gateways while query replicas, gateways and "
                 "brokers are killed, stopped and restarted; reports availability, lost commands and convergence"};
    std::string dirOption, durationText = "60s", everyText = "5s", outOption;
    std::string faultsText = "kill,stop,restart,kill-gateway,stop-gateway,kill-broker,stop-broker,kill-leader,stop-leader";
    ChaosOptions options;
    app.add_option("--dir", dirOption, "cluster folder (default $JUPITER_DIR or ./jupiter-data); when no cluster "
                                       "answers there, one is started in a temporary folder for the run");
    app.add_option("--duration", durationText, "how long faults are injected: 60s, 500ms, 2m or plain ms")
        ->capture_default_str();
    app.add_option("--every", everyText, "mean time between faults (each +/- 40%)")->capture_default_str();
    app.add_option("--faults", faultsText, "comma-separated fault kinds: kill, stop, restart (of a query replica), kill-gateway, "
                                         "stop-gateway, kill-broker, stop-broker, kill-leader, stop-leader (the command node that leads; "
                                         "with standby command nodes only), partition (a lab network's links cut and healed: a "
                                         "replica from everyone or from the gateways, a gateway from the brokers, a broker, the "
                                         "leader from the standbys and etcd; needs `jupiter up --netns`, root)")->capture_default_str();
    app.add_option("--seed", options.seed, "seed of the fault schedule (same seed, same schedule)")
        ->capture_default_str();
    app.add_option("--out", outOption, "folder for report.txt, report.json, transitions.log and timeline.svg "
                                       "(default DIR/chaos)");
    app.add_flag("--json", options.json, "print report.json instead of the text report");
    app.add_option("--clients", options.queryClients, "concurrent query clients")->capture_default_str()
        ->check(CLI::Range(1, 256));
    int replicas = 3;
    app.add_option("--replicas", replicas, "query nodes of the cluster started for the run when none answers in "
                                           "--dir (with one, every fault is skipped: a fault never takes the last live replica)")
        ->capture_default_str()
        ->check(CLI::Range(1, kMaxReplicas));
    std::string keyFile;
    app.add_option("--key", keyFile, "the client's secret key (NAME.key_secret); default: $JUPITER_KEY, else the "
                                     "cluster's admin key");
    CLI11_PARSE(app, argc, argv);
    if (!keyFile.empty()) setenv("JUPITER_KEY", keyFile.c_str(), 1);  // read where credentials are loaded

    auto duration = parseDuration(durationText, "--duration");
    auto every = parseDuration(everyText, "--every");
    auto faults = parseFaults(faultsText);
    for (const Error* e : {duration ? nullptr : &duration.error(), every ? nullptr : &every.error(),
                           faults ? nullptr : &faults.error()})
        if (e) {
            fmt::print(stderr, "jupiter-chaos: {}\n", e->message);
            return kExitError;
        }
    options.duration = *duration;
    options.every = *every;
    options.faults = *faults;
    options.dir = resolveClusterDir(dirOption);
    const bool partitions =
        std::find(options.faults.begin(), options.faults.end(), FaultKind::Partition) != options.faults.end();
    if (partitions)
        if (auto s = netlab::labSupported(); !s) {
            fmt::print(stderr, "jupiter-chaos: --faults partition: {}\n", s.error().message);
            return kExitError;
        }
    const std::filesystem::path outDir = outOption.empty() ? options.dir / "chaos" : std::filesystem::absolute(outOption);

    struct sigaction sa {};
    sa.sa_handler = onSignal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    try {
        std::filesystem::create_directories(outDir);
        zmq::context_t ctx(1);
        std::unique_ptr<bench::ClusterControl> cluster;
        std::filesystem::path clusterDir = options.dir;
        const bool owned = !clusterAnswers(ctx, options.dir);
        if (owned) {
            clusterDir = std::filesystem::temp_directory_path() / fmt::format("jupiter-chaos-{}", getpid());
            fmt::print(stderr, "jupiter-chaos: no cluster answers in {}; starting one in {} for this run\n",
                       options.dir.string(), clusterDir.string());
            cluster = startOwnCluster(clusterDir, replicas, options.json, partitions);
        } else {
            cluster = std::make_unique<bench::ClusterControl>(options.dir, false);
        }
        if (partitions && !cluster->config().netlab.enabled())
            throw std::runtime_error(fmt::format("--faults partition needs a lab network, and the cluster in {} has "
                                                 "none: start one with `jupiter up --netns --dir NEW_DIR` (root)",
                                                 clusterDir.string()));
        fmt::print(stderr, "jupiter-chaos: {} clients of queries and a command every {} ms; faults for {} ms "
                           "(seed {}); Ctrl-C ends the faults early\n",
                   options.queryClients, options.commandPeriod.count(), options.duration.count(), options.seed);
        ChaosRun run = runExperiment(ctx, *cluster, options, gInterrupted);
        run.clusterDir = clusterDir;
        run.ownedCluster = owned;

        const Doc json = reportJson(run, options);
        const std::string text = reportText(run, options);
        writeFile(outDir / "report.txt", text);
        writeFile(outDir / "report.json", json.dump(2) + "\n");
        writeFile(outDir / "transitions.log", transitionsDuringRun(run));
        writeFile(outDir / "timeline.svg", timelineSvg(run, options));
        cluster.reset();  // an owned cluster goes down before the verdict is printed
        if (options.json) std::cout << json.dump(2) << "\n";
        else std::cout << text << fmt::format("\nwritten to {}: report.txt, report.json, transitions.log, timeline.svg\n",
                                              outDir.string());
        return passed(run) ? 0 : kExitFailed;
    } catch (const std::exception& e) {
        fmt::print(stderr, "jupiter-chaos: {}\n", e.what());
        return kExitError;
    }
}
