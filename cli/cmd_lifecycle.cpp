// `jupiter up | down | start | kill | config`: starting, stopping and disturbing the daemons of
// the cluster in one folder. Only processes proven to be that folder's daemons (they hold its
// pidfile locks) are ever signalled.
#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <algorithm>
#include <thread>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/cluster_dir.hpp"
#include "cli/cluster_keys.hpp"
#include "cli/commands.hpp"
#include "cli/etcd_members.hpp"
#include "cli/exit_codes.hpp"
#include "cli/ping.hpp"
#include "cli/processes.hpp"
#include "cli/table.hpp"
#include "security/private_files.hpp"
#include "election/etcd_lock.hpp"
#include "election/etcd_pki.hpp"
#include "netlab/ip_tool.hpp"
#include "netlab/lab.hpp"

namespace jupiter::cli {
namespace {

using Steady = std::chrono::steady_clock;

constexpr Millis kStartTimeout{15000};  // per node, from spawn to its first pong
constexpr Millis kEtcdStartTimeout{20000};  // the local etcd members, until they answer
constexpr Millis kEtcdStopGrace{1500};
constexpr Millis kLockGrace{3000};      // a daemon that has not locked its pidfile by then has died
constexpr Millis kDetachTimeout{5000};  // for the launching process to exit
constexpr Millis kPingEvery{200};
constexpr Millis kProbeTimeout{300};    // "is anything already running?" pings
constexpr Millis kStopTimeout{5000};    // SIGTERM to SIGKILL
constexpr std::size_t kLogLines = 20;


// What we know about one node before touching the cluster.
struct Probe {
    std::string node;
    std::string endpoint;
    std::optional<pid_t> lockPid;  // the live process holding its pidfile
    std::optional<Pong> pong;      // whatever answers ping on its endpoint
    bool running() const { return lockPid.has_value() || pong.has_value(); }
};

std::vector<Probe> probeCluster(zmq::context_t& ctx, const Credentials& credentials, const Config& config) {
    std::vector<Probe> out;
    std::vector<std::string> endpoints;
    for (const auto& n : config.nodes) {
        out.push_back({n.name, n.endpoint, lockedPid(config.pidFile(n.name)), std::nullopt});
        endpoints.push_back(n.endpoint);
    }
    auto pongs = pingAll(ctx, credentials, endpoints, kProbeTimeout);
    for (std::size_t i = 0; i < out.size(); ++i) out[i].pong = std::move(pongs[i]);
    return out;
}

// One line on a node that is already running, saying how we know: a pong without a lock means a
// process this folder does not own (another cluster on the same ports, most likely).
std::string describeRunning(const Config& config, const Probe& p) {
    if (p.lockPid)
        return fmt::format("{} is running (pid {}, pidfile {}){}", p.node, *p.lockPid, config.pidFile(p.node).string(),
                           p.pong ? "" : " but does not answer ping");
    return fmt::format("{}: something answers ping at {} as '{}' (pid {}), but this folder holds no pidfile for it",
                       p.node, p.endpoint, p.pong->body.value("node", "?"), p.pong->body.value("pid", 0));
}

// What to do about running nodes found by probeCluster: stop ours, or move away from theirs.
void printRunningHint(const std::filesystem::path& dir, bool ours, bool foreign) {
    if (ours)
        fmt::print(stderr, "  see `jupiter status --dir {0}`, or stop it with `jupiter down --dir {0}`\n", dir.string());
    if (foreign)
        fmt::print(stderr, "  another cluster (another --dir) uses these ports: stop it there, or give this one "
                           "other ports with `jupiter up --dir NEW_DIR --base-port P`\n");
}

// The last lines of `node`'s log, indented, for a message saying why it did not start.
std::string logTail(const Config& config, const std::string& node) {
    const auto log = config.logFile(node);
    const std::string tail = tailFile(log, kLogLines);
    if (tail.empty()) return fmt::format("  ({} is empty or missing)\n", log.string());
    std::string out = fmt::format("  last lines of {}:\n", log.string());
    std::istringstream in(tail);
    for (std::string line; std::getline(in, line);) out += fmt::format("    {}\n", line);
    return out;
}

// A node started (its table row) or not (what to print: why, and the end of its log).
struct Started {
    std::optional<Doc> row;
    std::string failure;
};

// Spawns `node` and waits for its pong (a detached daemon reports its problems in its log).
Started startNode(zmq::context_t& ctx, const Credentials& credentials, const Config& config,
                  const std::filesystem::path& configFile, const NodeConfig& nc) {
    const std::string& node = nc.name;
    auto fail = [&](const std::string& why, bool withLog) {
        return Started{std::nullopt, fmt::format("jupiter: {}\n{}", why, withLog ? logTail(config, node) : "")};
    };
    if (auto s = spawnDaemon(binDir(), nc, configFile, kDetachTimeout); !s)
        return fail(fmt::format("cannot start {}: {}", node, s.error().message), true);
    const auto spawned = Steady::now();
    bool locked = false, died = false;
    auto worthWaiting = [&] {
        if (lockedPid(config.pidFile(node))) return locked = true;
        // Once the pidfile was locked, losing the lock means the daemon exited.
        died = locked || Steady::now() - spawned > kLockGrace;
        return !died;
    };
    auto pong = waitForPong(ctx, credentials, nc.endpoint, kStartTimeout, kPingEvery, worthWaiting);
    if (!pong)
        return fail(died ? fmt::format("{} exited during start-up", node)
                         : fmt::format("{} did not answer ping at {} within {} s", node, nc.endpoint,
                                       kStartTimeout.count() / 1000),
                    true);
    if (pong->body.value("node", "") != node)
        return fail(fmt::format("{} answered as '{}': another cluster uses the same ports?", nc.endpoint,
                                pong->body.value("node", "?")),
                    false);
    return {Doc{{"node", node}, {"pid", pong->body.value("pid", 0)}, {"endpoint", nc.endpoint}, {"state", "UP"}}, ""};
}

// Starts `nodes` at once (one role: a node may count on every role before its own being up, none
// on another node of its role) and waits for each one's pong. Where a daemon's start is mostly its
// own CPU (a sanitized build: 0.15-0.5 s each) a default cluster is up a second sooner on 2 cores.
std::vector<Started> startGroup(zmq::context_t& ctx, const Credentials& credentials, const Config& config,
                                const std::filesystem::path& configFile, const std::vector<const NodeConfig*>& nodes) {
    std::vector<Started> out(nodes.size());
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < nodes.size(); ++i)
        threads.emplace_back([&, i] { out[i] = startNode(ctx, credentials, config, configFile, *nodes[i]); });
    for (auto& t : threads) t.join();
    return out;
}

const std::vector<std::string> kNodeColumns = {"node", "pid", "endpoint", "state"};

// The node `name` of the cluster, or nullopt after saying which nodes it has.
const NodeConfig* findNode(const Config& config, const std::filesystem::path& dir, const std::string& name) {
    if (const NodeConfig* n = config.node(name)) return n;
    std::string names;
    for (const auto& n : config.nodes) names += (names.empty() ? "" : ", ") + n.name;
    printError(fmt::format("{} has no node {} (its nodes: {})", clusterConfigPath(dir).string(), name, names));
    return nullptr;
}

}  // namespace

int runUp(const UpOptions& o) {
    const auto dir = resolveClusterDir(o.dir);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        printError(fmt::format("cannot create {}: {} (choose another --dir)", dir.string(), ec.message()));
        return kExitUsage;
    }
    const auto file = clusterConfigPath(dir);
    bool wrote = false;
    Layout layout;
    layout.queries = o.replicas;
    layout.gateways = o.gateways;
    layout.brokers = o.brokers;
    layout.commands = o.commands;
    if (!std::filesystem::exists(file, ec)) {
        const int port = o.basePortGiven ? o.basePort : kDefaultBasePort;
        if (port + portsUsed(layout) - 1 > 65535) {
            printError(fmt::format("--base-port {} leaves fewer than the {} consecutive ports this layout uses; "
                                   "choose a lower one", port, portsUsed(layout)));
            return kExitUsage;
        }
        ConfigTemplate t{dir, port, layout, {}, {}, {}, -1};
        if (o.netns) {
            auto subnet = netlab::labSupported() ? netlab::freeLabSubnet() : Result<int>(netlab::labSupported().error());
            if (!subnet) {
                printError(fmt::format("--netns: {}", subnet.error().message));
                return kExitUsage;
            }
            t.labSubnet = *subnet;
        }
        // A folder the user created beforehand (mkdir: 0755) becomes private as the cluster is set up in it.
        if (auto s = makeFolderPrivate(dir); !s) {
            printError(s.error().message);
            return kExitUsage;
        }
        if (auto s = writeFileAtomically(file, defaultConfigToml(t)); !s) {
            printError(s.error().message);
            return kExitUsage;
        }
        wrote = true;
    }
    auto cfg = loadConfig(file);
    if (!cfg) {
        printError(cfg.error().message);
        return kExitUsage;
    }
    if (o.netns && !cfg->netlab.enabled()) {
        printError(fmt::format("{} already exists without a lab network ([netlab]); drop --netns to reuse it, or use "
                               "another --dir", file.string()));
        return kExitUsage;
    }
    if (o.basePortGiven && !wrote) {
        // The port is compared, not the host: a lab network puts each node at its own address.
        auto portOf = [](const std::string& ep) { return ep.substr(ep.rfind(':') + 1); };
        auto wanted = parseConfig(defaultConfigToml(dir, o.basePort, layout), "");
        const std::string have = cfg->startOrder().front()->endpoint;
        if (!wanted || portOf(wanted->startOrder().front()->endpoint) != portOf(have)) {
            printError(fmt::format("{} already exists and puts its first node at {}, not at port {}; drop "
                                   "--base-port to reuse it, edit it, or use another --dir",
                                   file.string(), have, o.basePort));
            return kExitUsage;
        }
    }
    for (const auto& [role, given, wanted, flag] :
         {std::tuple{Role::Query, o.replicasGiven, o.replicas, "--replicas"},
          std::tuple{Role::Gateway, o.gatewaysGiven, o.gateways, "--gateways"},
          std::tuple{Role::Broker, o.brokersGiven, o.brokers, "--brokers"},
          std::tuple{Role::Command, o.commandsGiven, o.commands, "--commands"}}) {
        const auto have = cfg->nodesWith(role).size();
        if (!given || wrote || have == static_cast<std::size_t>(wanted)) continue;
        printError(fmt::format("{} already exists with {} {} node(s), not {}; drop {} to reuse it, edit its [[node]] "
                               "entries, or use another --dir",
                               file.string(), have, roleName(role), wanted, flag));
        return kExitUsage;
    }

    if (auto s = ensureClusterKeys(*cfg); !s) {
        printError(s.error().message);
        return kExitUsage;
    }
    auto credentials = clientCredentials(*cfg);
    if (!credentials) {
        printError(credentials.error().message);
        return kExitUsage;
    }
    if (auto s = netlab::createLab(*cfg); !s) {
        printError(fmt::format("cannot build the lab network of {}: {}", file.string(), s.error().message));
        return kExitFailed;
    }
    zmq::context_t ctx(1);
    bool ours = false, foreign = false;
    for (const auto& p : probeCluster(ctx, *credentials, *cfg)) {
        if (!p.running()) continue;
        if (!ours && !foreign)
            fmt::print(stderr, "jupiter: not starting anything: nodes of the cluster in {} are already running\n",
                       dir.string());
        (p.lockPid ? ours : foreign) = true;
        fmt::print(stderr, "  {}\n", describeRunning(*cfg, p));
    }
    if (ours || foreign) {
        printRunningHint(dir, ours, foreign);
        // A configuration written just now would pin these ports for the next attempt.
        if (wrote) std::filesystem::remove(file, ec);
        return kExitFailed;
    }
    if (wrote) fmt::print("wrote {}\n", file.string());
    // The last `send` sequence belongs to the previous run; if the data was wiped since, it would
    // be ahead of the new head and make every query wait for a sequence that never comes.
    std::filesystem::remove(cfg->dir / "run" / "cli-last-seq", ec);

    Doc rows = Doc::array();
    if (const auto members = localEtcdMembers(*cfg); !members.empty()) {
        if (auto s = startLocalEtcd(*cfg, kEtcdStartTimeout); !s) {
            printError(s.error().message);
            return kExitFailed;
        }
        for (std::size_t i = 0; i < members.size(); ++i)
            rows.push_back({{"node", members[i]}, {"pid", lockedPid(cfg->pidFile(members[i])).value_or(0)},
                            {"endpoint", cfg->etcd.endpoints[i]}, {"state", "UP"}});
    }
    const auto order = cfg->startOrder();
    for (auto from = order.begin(); from != order.end();) {
        const auto to = std::find_if(from, order.end(), [&](const NodeConfig* n) { return n->role != (*from)->role; });
        bool failed = false;
        for (auto& s : startGroup(ctx, *credentials, *cfg, file, {from, to})) {
            if (s.row) rows.push_back(std::move(*s.row));
            fmt::print(stderr, "{}", s.failure);
            failed = failed || !s.row;
        }
        if (failed) {
            if (!rows.empty())
                fmt::print(stderr, "  the nodes started so far are still running: `jupiter status --dir {0}` shows "
                                   "them, `jupiter down --dir {0}` stops them\n", dir.string());
            return kExitFailed;
        }
        from = to;
    }
    fmt::print("{}", renderTable(rows, kNodeColumns));
    std::string gateways;
    for (const auto* g : cfg->nodesWith(Role::Gateway)) gateways += (gateways.empty() ? "" : ", ") + g->endpoint;
    fmt::print("cluster up in {}; clients use the gateway{} at {}\n", dir.string(),
               cfg->nodesWith(Role::Gateway).size() > 1 ? "s" : "", gateways);
    return kExitOk;
}

int runStart(const std::string& dirOption, const std::string& node) {
    const auto dir = resolveClusterDir(dirOption);
    auto cfg = openCluster(dir);
    if (!cfg) {
        printError(cfg.error().message);
        return kExitUsage;
    }
    if (const auto members = localEtcdMembers(*cfg); std::find(members.begin(), members.end(), node) != members.end()) {
        if (auto s = netlab::createLab(*cfg); !s) {
            printError(fmt::format("cannot build the lab network: {}", s.error().message));
            return kExitFailed;
        }
        if (auto s = startEtcdMember(*cfg, node); !s) {
            printError(s.error().message);
            return kExitFailed;
        }
        fmt::print("started {} (pid {})\n", node, lockedPid(cfg->pidFile(node)).value_or(0));
        return kExitOk;
    }
    const NodeConfig* nc = findNode(*cfg, dir, node);
    if (!nc) return kExitUsage;
    auto credentials = clientCredentials(*cfg);
    if (!credentials) {
        printError(credentials.error().message);
        return kExitUsage;
    }
    if (auto s = netlab::createLab(*cfg); !s) {
        printError(fmt::format("cannot build the lab network: {}", s.error().message));
        return kExitFailed;
    }
    zmq::context_t ctx(1);
    Probe p{node, nc->endpoint, lockedPid(cfg->pidFile(node)), std::nullopt};
    p.pong = std::move(pingAll(ctx, *credentials, {nc->endpoint}, kProbeTimeout)[0]);
    if (p.running()) {
        printError(fmt::format("not starting {}: {}", node, describeRunning(*cfg, p)));
        printRunningHint(dir, p.lockPid.has_value(), !p.lockPid);
        return kExitFailed;
    }
    auto started = startNode(ctx, *credentials, *cfg, clusterConfigPath(dir), *nc);
    if (!started.row) {
        fmt::print(stderr, "{}", started.failure);
        return kExitFailed;
    }
    fmt::print("{}", renderTable(Doc::array({*started.row}), kNodeColumns));
    return kExitOk;
}

int runDown(const std::string& dirOption) {
    const auto dir = resolveClusterDir(dirOption);
    auto cfg = openCluster(dir);
    if (!cfg) {
        printError(cfg.error().message);
        return kExitUsage;
    }
    struct Victim {
        std::string node;
        pid_t pid;
        bool etcd = false;
    };
    std::vector<Victim> victims;
    // Clients' entry point first, the bus last, so nodes do not log each other's departures as faults
    // for longer than needed.
    const auto order = cfg->startOrder();
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
        const std::string& name = (*it)->name;
        auto pid = lockedPid(cfg->pidFile(name));
        if (!pid) continue;
        if (*pid <= 0) {
            printError(fmt::format("{}: its pidfile is locked but names no pid; try again in a moment", name));
            continue;
        }
        kill(*pid, SIGTERM);
        kill(*pid, SIGCONT);  // a node stopped with `jupiter kill --signal STOP` must run to see SIGTERM
        victims.push_back({name, *pid});
    }
    // etcd last: the command nodes give their leadership back through it as they stop.
    for (const auto& name : localEtcdMembers(*cfg)) {
        auto pid = lockedPid(cfg->pidFile(name));
        if (!pid || *pid <= 0) continue;
        kill(*pid, SIGTERM);
        kill(*pid, SIGCONT);
        victims.push_back({name, *pid, true});
    }
    // The lab network goes once nothing runs in it any more.
    auto removeLab = [&cfg](int rc) -> int {
        if (!cfg->netlab.enabled() || rc != kExitOk) return rc;
        if (auto s = netlab::destroyLab(*cfg); !s) {
            printError(fmt::format("cannot remove the lab network: {}", s.error().message));
            return kExitFailed;
        }
        fmt::print("removed the lab network (bridge {} and {} namespaces)\n", cfg->netlab.bridge,
                   netlab::labMembers(*cfg).size());
        return rc;
    };
    if (victims.empty()) {
        fmt::print("nothing running in {}\n", dir.string());
        return removeLab(kExitOk);
    }
    const auto signalled = Steady::now();
    const auto deadline = signalled + kStopTimeout;
    // etcd members stopped together wait for each other (about 2 s each on 2 cores); their log is
    // crash-safe, so they share one short grace, counted from the signal, before SIGKILL.
    const auto etcdDeadline = signalled + kEtcdStopGrace;
    int rc = kExitOk;
    for (const auto& v : victims) {
        const auto left = std::max(Millis(0), std::chrono::duration_cast<Millis>((v.etcd ? etcdDeadline : deadline) -
                                                                                 Steady::now()));
        if (waitForExit(v.pid, cfg->pidFile(v.node), left)) {
            fmt::print("stopped {} (pid {})\n", v.node, v.pid);
            continue;
        }
        // Still holding its lock, so still the same process: safe to kill.
        if (lockedPid(cfg->pidFile(v.node)) == v.pid) kill(v.pid, SIGKILL);
        if (waitForExit(v.pid, cfg->pidFile(v.node), Millis(2000))) {
            if (v.etcd) {
                fmt::print("stopped {} (pid {})\n", v.node, v.pid);
                continue;
            }
            fmt::print("killed {} (pid {}): it did not stop within {} s of SIGTERM; see {}\n", v.node, v.pid,
                       kStopTimeout.count() / 1000, cfg->logFile(v.node).string());
        } else {
            printError(fmt::format("{} (pid {}) survives SIGKILL; check it with `ps -o stat -p {}`", v.node, v.pid,
                                   v.pid));
            rc = kExitFailed;
        }
    }
    return removeLab(rc);
}

int runKill(const std::string& dirOption, const std::string& node, const std::string& signalName) {
    const auto sig = parseSignal(signalName);
    if (!sig) {
        printError(fmt::format("unknown signal '{}' (accepted: KILL, TERM, STOP, CONT)", signalName));
        return kExitUsage;
    }
    const auto dir = resolveClusterDir(dirOption);
    auto cfg = openCluster(dir);
    if (!cfg) {
        printError(cfg.error().message);
        return kExitUsage;
    }
    const auto members = localEtcdMembers(*cfg);
    if (std::find(members.begin(), members.end(), node) == members.end() && !findNode(*cfg, dir, node))
        return kExitUsage;
    const auto pid = lockedPid(cfg->pidFile(node));
    if (!pid || *pid <= 0) {
        printError(fmt::format("{} is not running in {} (no live process holds {})", node, dir.string(),
                               cfg->pidFile(node).string()));
        return kExitFailed;
    }
    if (kill(*pid, *sig) != 0) {
        printError(fmt::format("cannot signal {} (pid {}): {}", node, *pid, std::strerror(errno)));
        return kExitFailed;
    }
    std::string what = fmt::format("sent SIG{} to {} (pid {})", sigabbrev_np(*sig), node, *pid);
    // Wait for a KILL or TERM to take effect, so a `jupiter start` right after finds the node gone.
    if (*sig == SIGKILL || *sig == SIGTERM)
        what += waitForExit(*pid, cfg->pidFile(node), kStopTimeout)
                    ? "; it exited"
                    : fmt::format("; still running after {} s (stopped? send CONT)", kStopTimeout.count() / 1000);
    fmt::print("{}\n", what);
    return kExitOk;
}

int runConfig(const std::string& dirOption) {
    const auto dir = resolveClusterDir(dirOption);
    const auto file = clusterConfigPath(dir);
    std::ifstream in(file);
    if (!in) {
        printError(fmt::format("no cluster configuration at {}; `jupiter up --dir {}` writes one", file.string(),
                               dir.string()));
        return kExitUsage;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    fmt::print("# {}\n{}", file.string(), ss.str());
    return kExitOk;
}

int runConfigNew(const std::string& dirOption, const ConfigTemplate& given) {
    ConfigTemplate t = given;
    t.dir = std::filesystem::absolute(resolveClusterDir(dirOption));
    const std::string text = defaultConfigToml(t);
    if (auto check = parseConfig(text, ""); !check) {
        printError(check.error().message);
        return kExitUsage;
    }
    fmt::print("{}", text);
    return kExitOk;
}

int runKeys(const std::string& dirOption) {
    auto cfg = openCluster(resolveClusterDir(dirOption));
    if (!cfg) {
        printError(cfg.error().message);
        return kExitUsage;
    }
    if (cfg->security == SecurityMode::None) {
        fmt::print("security mode is none: no keys are needed\n");
        return kExitOk;
    }
    if (auto s = ensureClusterKeys(*cfg); !s) {
        printError(s.error().message);
        return kExitUsage;
    }
    fmt::print("keys of every node and of the admin client are in {}\n", cfg->keysDir.string());
    if (cfg->etcd.tls()) fmt::print("etcd's CA, certificates and passwords are in {}\n", cfg->etcd.caFile.parent_path().string());
    return kExitOk;
}

int runEtcdLock(const std::string& dirOption) {
    auto cfg = openCluster(resolveClusterDir(dirOption));
    if (!cfg) {
        printError(cfg.error().message);
        return kExitUsage;
    }
    if (cfg->etcd.endpoints.empty() || !cfg->etcd.tls() || cfg->etcd.user.empty()) {
        printError(fmt::format("{} names no etcd reached over https:// as a user: nothing to lock", cfg->source.string()));
        return kExitUsage;
    }
    const auto root = etcdFilesIn(cfg->keysDir).rootPassword;
    if (auto s = ensureEtcdFiles(*cfg); !s) {
        printError(s.error().message);
        return kExitFailed;
    }
    if (auto s = lockEtcd(cfg->etcd, root, Millis(2000)); !s) {
        printError(s.error().message);
        return kExitFailed;
    }
    fmt::print("etcd at {} has its authentication on: user {} may touch only {}*, root's password is in {}\n",
               fmt::join(cfg->etcd.endpoints, ", "), cfg->etcd.user, etcdKeyPrefix(cfg->etcd.key), root.string());
    return kExitOk;
}

}  // namespace jupiter::cli
