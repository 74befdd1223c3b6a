// Cluster configuration: the nodes of the cluster as data (each with a name, a role and its
// endpoints), where data lives, and the timing knobs. Read from TOML once at start-up and
// validated there, with messages that name the bad key (and the key probably meant); the embedded
// default (defaultConfigToml) puts a whole cluster of any layout on loopback ports from a base port.
// Code finds its peers by role, never by a node's name.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace jupiter {

enum class Role { Broker, Command, Query, Monitor, Gateway };
std::string_view roleName(Role r);
std::optional<Role> parseRole(std::string_view name);
// Every role, in the order a cluster is started (and stopped in reverse).
const std::vector<Role>& allRoles();

// The broker's channels besides its control endpoint.
enum class BrokerChannel { Commands, CommandBackend, EventsIn, EventsOut };
inline constexpr int kBrokerChannels = 4;
std::string_view channelKey(BrokerChannel c);  // its key in jupiter.toml: "commands", ...

// An address peers connect to, and the one the owner binds (the same unless `<key>_bind` says).
struct Endpoint {
    std::string connect;
    std::string bind;
};

// One daemon: its name, role, the control endpoint peers connect to for requests and pings, and
// (brokers only) its bus channels.
struct NodeConfig {
    std::string name;
    Role role = Role::Query;
    std::string endpoint;  // control: pings, queries, replay, status
    std::string bind;      // where the node binds its control endpoint
    std::map<BrokerChannel, Endpoint> channels;
    // Test hook (query nodes): drop every Nth live event batch, so that replay must repair gaps.
    uint64_t dropLiveBatchesEvery = 0;
    std::string metrics;   // HOST:PORT where it serves Prometheus metrics over HTTP; empty: not served
    std::string netns;     // the network namespace (`ip netns`) the CLI starts it in; empty: the CLI's own
    // Query nodes: a replica this many events behind (and more behind than it holds) installs a
    // copy of a command node's state instead of replaying (0: always replay); and the bytes of
    // records it asks for per chunk of that copy.
    uint64_t snapshotMinLag = 10000;
    uint64_t snapshotChunkBytes = 1u << 20;
    // Test hook (command nodes): once it has led for a second, its event loop stops this many ms,
    // once (as on a disk that stops answering), so that leadership must follow the loop. 0: never.
    int wedgeLoopMs = 0;
    // Test hook (query nodes): this build refuses to apply the event with this sequence, as one that
    // cannot apply it would, so that a poisoned event must stop this replica alone. 0: none.
    uint64_t refuseEventSeq = 0;
    // Monitor only: HOST:PORT of its live web console (monitor/console_server.hpp); empty: none. A
    // host other than loopback asks every browser for the token in the keys folder's console.token.
    std::string console{};

    const Endpoint& channel(BrokerChannel c) const { return channels.at(c); }
};

// "HOST:PORT" (a `metrics` or `console` address) split, or nothing when it is not one.
struct HostPort {
    std::string host;
    int port = 0;
    bool loopback() const {
        return host.starts_with("127.") || host == "localhost" || host == "::1" || host == "[::1]";
    }
};
std::optional<HostPort> hostPort(std::string_view address);

// How many nodes of each role `jupiter up` writes into a new configuration.
// Two brokers, two gateways and three command nodes (a leader and two standbys), so that no single
// daemon stops the service.
struct Layout {
    int brokers = 2;
    int commands = 3;
    int queries = 3;
    int monitors = 1;
    int gateways = 2;
};
inline constexpr int kMaxReplicas = 9;
inline constexpr int kMaxSpares = 4;  // gateways or brokers `jupiter up` writes at most

// How links are secured: CurveZMQ with ZAP authentication (the default), or nothing at all, which
// is accepted only when every endpoint is loopback or ipc.
enum class SecurityMode { Curve, None };

// Where command nodes find etcd, which elects their leader (several command nodes only).
struct EtcdConfig {
    std::vector<std::string> endpoints;  // client URLs, e.g. http://127.0.0.1:2379
    std::vector<std::string> peerUrls;   // local members only: their peer URLs, in the same order
    bool local = false;                  // `jupiter up` starts these members itself, data under DIR/etcd/
    std::string key = "jupiter/leader";  // the leader key
    int leaseTtlSeconds = 2;             // the leader's lease: outlives an etcd election (see cli/etcd_members.cpp)
    std::vector<std::string> netns;      // local members: the network namespace of each (empty: the CLI's own)
    // A locked etcd (https:// endpoints, required with security = "curve"): the CA that signed the
    // members' certificate, the client certificate and key Jupiter presents, and the etcd user it
    // authenticates as with the password in password_file ("" user, or plain http with security
    // "none": etcd's authentication is off).
    // Defaults: the files `jupiter up` makes in the keys folder for local members (election/etcd_pki.hpp).
    std::filesystem::path caFile, certFile, keyFile, passwordFile;
    std::string user = "jupiter";
    bool tls() const { return !endpoints.empty() && endpoints.front().starts_with("https://"); }
};

// A lab network (`jupiter up --netns`, root only): every node in a network namespace of its own
// with its own address on one Linux bridge, so that links can be cut (netlab/). The namespaces
// are named by the nodes' `netns`, their addresses by the hosts of their endpoints.
struct NetLabConfig {
    std::string bridge;   // e.g. "jbr7700"; empty: no lab
    std::string address;  // this host's address on the bridge, with the prefix: "10.201.7.1/24"
    bool enabled() const { return !bridge.empty(); }
};

struct Config {
    std::filesystem::path dir;                 // data and pidfiles (and logs unless logs_dir says)
    std::filesystem::path logsDir;             // daemons' log files and the monitor's transitions (default: <dir>/log)
    std::filesystem::path source;              // the file it came from (empty: embedded default)
    int heartbeatIntervalMs = 100;
    int heartbeatLiveness = 3;                 // missed intervals before a node is DOWN
    int recoveryHeartbeats = 3;                // fresh heartbeats in a row before it is UP again
    int queryTimeoutMs = 250;                  // gateway: per-attempt timeout before trying another replica
    int queryTimeoutMinMs = 50;                // gateway: its floor once latency has been observed
    int commandTimeoutMs = 1500;               // gateway: per-attempt timeout before resending a command
    int clientTimeoutMs = 10000;               // gateway: total time a request may take before an error
    int maxLagEvents = 0;                      // gateway: how far behind the head a replica may be to be chosen
    int leaveLagEvents = 1000;                 // gateway: how far behind the replica in use may fall before the route leaves it
    bool spreadQueries = false;                // gateway: routing = "spread" (every caught-up replica) or "primary" (the first)
    int gatewayIoThreads = 1;                  // gateway: ZeroMQ I/O threads (its event loop is one more thread)
    int pingIntervalMs = 100;                  // monitor
    int pingTimeoutMs = 300;                   // monitor
    int pingQuietIntervalMs = 1000;            // monitor: pings while a node's heartbeats are on time
    bool syncDurable = true;                   // command node: fsync the WAL before acknowledging
    SecurityMode security = SecurityMode::Curve;
    bool signEvents = true;                    // curve: the leader signs event batches, replicas verify them
    int maxConnectionsPerPeer = 512;           // per bound socket and source address; more are closed at once
    std::filesystem::path keysDir;             // certificates (default: <dir>/keys)
    std::vector<NodeConfig> nodes;             // in configured order
    EtcdConfig etcd;
    NetLabConfig netlab;

    const NodeConfig* node(std::string_view name) const;
    // The nodes of one role, in configured order (for query nodes: the gateway's preference).
    std::vector<const NodeConfig*> nodesWith(Role role) const;
    // Their control endpoints, in the same order (e.g. the gateways a client fails over between).
    std::vector<std::string> endpointsOf(Role role) const;
    // The first configured command node: the one that writes only when it is the only one; with
    // several, the leader is elected through etcd (ask the nodes: their pongs and heartbeats say).
    const NodeConfig* firstCommandNode() const;
    bool replicated() const { return nodesWith(Role::Command).size() > 1; }
    // Every node in start order: by role (broker, command, query, monitor, gateway), then as configured.
    std::vector<const NodeConfig*> startOrder() const;

    std::filesystem::path nodeDataDir(std::string_view name) const { return dir / std::string(name); }
    std::filesystem::path logFile(std::string_view name) const { return logsDir / (std::string(name) + ".log"); }
    std::filesystem::path pidFile(std::string_view name) const { return dir / "run" / (std::string(name) + ".pid"); }
    std::filesystem::path transitionLog() const { return logsDir / "transitions.log"; }
};

inline constexpr int kDefaultBasePort = 7700;
inline constexpr int kLocalEtcdMembers = 3;  // `jupiter up` runs this many etcd members with several command nodes
// Loopback ports the default configuration of `layout` uses from its base port on: the nodes'
// endpoints, then the local etcd members' (several command nodes), then one metrics port per node.
int portsUsed(const Layout& layout);

// What a new configuration file says beyond the layout: where data, logs and keys live, and which
// etcd elects the command nodes' leader.
struct ConfigTemplate {
    std::filesystem::path dir;
    int basePort = kDefaultBasePort;
    Layout layout;
    std::filesystem::path logsDir;          // empty: DIR/log
    std::filesystem::path keysDir;          // empty: "keys", beside the file
    std::vector<std::string> etcdEndpoints; // empty: three local members on ports after the nodes'
    int labSubnet = -1;                     // 0..255: a lab network on 10.201.N.0/24 (see NetLabConfig); -1: loopback
};

// The lab network's addresses: 10.201.SUBNET.HOST.
std::string labAddress(int subnet, int host);

// The embedded default configuration (config_template.cpp): all loopback, ports from basePort, data under dir.
std::string defaultConfigToml(const std::filesystem::path& dir, int basePort, const Layout& layout = {});
// The same for a template (e.g. an installed cluster: data in /var/lib, logs in /var/log, the host's etcd).
std::string defaultConfigToml(const ConfigTemplate& t);

// Whether an endpoint stays on this host (loopback or ipc): the only kind `[security] mode = "none"` may use.
bool isLocalEndpoint(std::string_view endpoint);

// Parses and validates; `source` names the file in error messages.
Result<Config> parseConfig(std::string_view toml, const std::filesystem::path& source);
Result<Config> loadConfig(const std::filesystem::path& file);

}  // namespace jupiter
