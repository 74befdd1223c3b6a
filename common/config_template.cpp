// The embedded default configuration: a whole cluster of any layout as TOML text, on loopback
// ports from a base port (or in a lab network), with the comments a first reader of jupiter.toml needs.
#include "common/config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace jupiter {

namespace {

int nodesIn(const Layout& l) { return l.brokers + l.commands + l.queries + l.monitors + l.gateways; }

// The ports before the metrics ports.
int busPortsUsed(const Layout& l) {
    return l.brokers * kBrokerChannels + nodesIn(l) + (l.commands > 1 ? 2 * kLocalEtcdMembers : 0);
}

}  // namespace

// Then one metrics port per node, then one console port per monitor.
int portsUsed(const Layout& l) { return busPortsUsed(l) + nodesIn(l) + l.monitors; }

std::string defaultConfigToml(const std::filesystem::path& dir, int basePort, const Layout& layout) {
    return defaultConfigToml(ConfigTemplate{dir, basePort, layout, {}, {}, {}, -1});
}

std::string labAddress(int subnet, int host) { return fmt::format("10.201.{}.{}", subnet, host); }

std::string defaultConfigToml(const ConfigTemplate& t) {
    const Layout& layout = t.layout;
    const bool lab = t.labSubnet >= 0;
    int next = t.basePort;
    // Loopback, or in a lab network each node's own address: 10.201.N.10, .11, ... in start order,
    // the etcd members from .200 on.
    std::string host = "127.0.0.1";
    int labHost = 10;
    auto ep = [&next, &host] { return fmt::format("\"tcp://{}:{}\"", host, next++); };
    // A role with one node gets the role's name; several get name-1, name-2, ...
    auto nameOf = [](std::string_view role, int i, int count) {
        return count == 1 && role != "query" ? std::string(role) : fmt::format("{}-{}", role, i);
    };
    std::string nodes;
    int nextMetrics = t.basePort + busPortsUsed(layout);
    auto metrics = [&nextMetrics, &host] {
        return fmt::format("metrics = \"{}:{}\"   # Prometheus metrics over HTTP\n", host, nextMetrics++);
    };
    int nextConsole = t.basePort + busPortsUsed(layout) + nodesIn(layout);
    auto console = [&nextConsole, &host] {
        return fmt::format("console = \"{}:{}\"   # the live web console (jupiter console)\n", host, nextConsole++);
    };
    auto netnsOf = [&t](const std::string& name) { return fmt::format("jup{}-{}", t.basePort, name); };
    // Starts a node's entry: its address, and in a lab its namespace.
    auto begin = [&](const std::string& name) {
        if (!lab) return std::string();
        host = labAddress(t.labSubnet, labHost++);
        return fmt::format("netns = \"{}\"\n", netnsOf(name));
    };
    auto add = [&](std::string_view role, int count, std::string_view comment) {
        for (int i = 1; i <= count; ++i) {
            const std::string name = nameOf(role, i, count);
            const std::string netns = begin(name);
            nodes += fmt::format("\n[[node]]\nname = \"{}\"\nrole = \"{}\"\nendpoint = {}{}\n{}{}{}", name, role, ep(),
                                 comment, metrics(), role == "monitor" ? console() : "", netns);
        }
    };
    for (int i = 1; i <= layout.brokers; ++i) {
        const std::string name = nameOf("broker", i, layout.brokers);
        const std::string netns = begin(name);
        nodes += fmt::format("\n[[node]]\nname = \"{}\"\nrole = \"broker\"\nendpoint = {}         # pings\n{}{}", name,
                             ep(), metrics(), netns);
        nodes += fmt::format("commands = {}         # gateways send commands here\n", ep());
        nodes += fmt::format("command_backend = {}  # the command node takes commands from here\n", ep());
        nodes += fmt::format("events_in = {}        # nodes publish events and heartbeats here\n", ep());
        nodes += fmt::format("events_out = {}       # nodes subscribe here\n", ep());
    }
    add("command", layout.commands, "         # replay of events, pings, digests");
    add("query", layout.queries, "");
    add("monitor", layout.monitors, "         # status requests and pings");
    add("gateway", layout.gateways, "         # clients send commands and queries here");
    std::string etcd;
    if (layout.commands > 1 && !t.etcdEndpoints.empty()) {
        std::vector<std::string> quoted;
        for (const auto& e : t.etcdEndpoints) quoted.push_back(fmt::format("\"{}\"", e));
        etcd = fmt::format(R"(
[etcd]
# Elects the leader of the command nodes: the client URLs of an etcd cluster run by this host or
# others, locked: TLS with client certificates signed by the CA in ca_file, and etcd's
# authentication with a user that may touch only the leader key's prefix (see the README).
endpoints = [{}]
local = false
key = "jupiter/leader"
lease_ttl_s = 2               # the leader's lease: it must outlive an etcd election; a dead leader is replaced sooner (its standbys end the lease)
)",
                           fmt::join(quoted, ", "));
    } else if (layout.commands > 1) {
        std::vector<std::string> clients, peers, netns;
        for (int i = 0; i < kLocalEtcdMembers; ++i) {
            const std::string member = lab ? labAddress(t.labSubnet, 200 + i) : "127.0.0.1";
            clients.push_back(fmt::format("\"https://{}:{}\"", member, next++));
            peers.push_back(fmt::format("\"https://{}:{}\"", member, next++));
            netns.push_back(fmt::format("\"{}\"", netnsOf(fmt::format("etcd-{}", i + 1))));
        }
        etcd = fmt::format(R"(
[etcd]
# Elects the leader of the command nodes. `local = true`: `jupiter up` runs these members itself
# (data under DIR/etcd/), locked: TLS with client certificates of a private CA and etcd's
# authentication, the files in the keys folder; otherwise list an existing cluster's client URLs
# and drop peer_urls.
endpoints = [{}]
peer_urls = [{}]
local = true
key = "jupiter/leader"
lease_ttl_s = 2               # the leader's lease: it must outlive an etcd election; a dead leader is replaced sooner (its standbys end the lease)
{})",
                           fmt::join(clients, ", "), fmt::join(peers, ", "),
                           lab ? fmt::format("netns = [{}]\n", fmt::join(netns, ", ")) : "");
    }
    if (lab)
        etcd += fmt::format(R"(
[netlab]
# A lab network (`jupiter up --netns`, root only): each node runs in its network namespace (`netns`)
# with the address its endpoints name, on this bridge; `jupiter partition` cuts links, `jupiter heal`
# restores them, `jupiter down` removes it all.
bridge = "jbr{}"
address = "{}/24"          # this host's side of the bridge: the CLI and clients reach the nodes from here
)",
                            t.basePort, labAddress(t.labSubnet, 1));
    return fmt::format(R"(# Jupiter cluster configuration (written by `jupiter up` or `jupiter config --new`; edit and restart to change).
# Every endpoint may name another host; `<key>_bind` overrides the address a node binds.

[cluster]
dir = "{}"
{}logs_dir = "{}"   # daemons' log files (default: DIR/log); SIGHUP makes a daemon reopen its file
heartbeat_interval_ms = 100   # every node publishes a heartbeat this often
heartbeat_liveness = 3        # missed heartbeats before a node is DOWN
recovery_heartbeats = 3       # fresh heartbeats in a row before it is UP again
sync = "durable"              # durable: fsync before acknowledging a command; "async": faster, may lose the last writes on power loss

[monitor]
ping_interval_ms = 100         # while a node's heartbeats are late (or the bus is silent), it is pinged this often
ping_timeout_ms = 300
ping_quiet_interval_ms = 1000  # while they arrive on time and it echoes, this often (its endpoint checked from here)

[gateway]
query_timeout_ms = 250       # per attempt, before the query goes to another replica (the ceiling)
query_timeout_min_ms = 50    # the floor: once answers are seen, the timeout follows their latency in between
command_timeout_ms = 1500    # per attempt, before the command is resent (same request id)
client_timeout_ms = 10000    # total, before the client gets an error
max_lag_events = 0           # a replica further behind the head than this is not chosen (nor failed back to)
leave_lag_events = 1000      # the replica in use is left only when it falls further behind than this
routing = "primary"          # primary: the first live caught-up replica in [[node]] order, fail-back to it; "spread": every one, fewest outstanding first
io_threads = 1               # ZeroMQ I/O threads, 1-16: connections are shared out between them (2 on 2 cores: 13-35 % fewer queries/s, BENCHMARKS.md)

[security]
mode = "curve"               # CurveZMQ on every link; "none" is accepted only when every endpoint is loopback or ipc
keys_dir = "{}"            # certificates: NODE.key (public) and NODE.key_secret (0600), clients' public keys
sign_events = true           # the leader signs every event batch and replicas check it (false: brokers are trusted; for measuring its cost)
max_connections_per_peer = 512  # open connections one address may hold on each socket a node binds; more are closed at once
{}
# The nodes, one [[node]] each: a unique name (it names the node's data folder, log and pidfile),
# a role (broker, command, query, monitor, gateway) and its endpoints. Gateways prefer query nodes
# in the order they are listed here and fail back to the first live one.
{})",
                       t.dir.string(), t.logsDir.empty() ? "# " : "",
                       t.logsDir.empty() ? "/var/log/jupiter" : t.logsDir.string(),
                       t.keysDir.empty() ? "keys" : t.keysDir.string(), etcd, nodes);
}

}  // namespace jupiter
