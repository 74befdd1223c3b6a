// The `jupiter` subcommands, one function each, called by main.cpp once CLI11 has parsed the
// arguments. Each returns the process exit code (cli/exit_codes.hpp) and prints its own messages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/config.hpp"

namespace jupiter::cli {

// Cluster life cycle (cmd_lifecycle.cpp).
struct UpOptions {
    std::string dir;
    int basePort = 0;
    bool basePortGiven = false;
    int replicas = 3;               // query nodes in a new configuration (1..kMaxReplicas)
    bool replicasGiven = false;
    int gateways = Layout{}.gateways;  // gateways in a new configuration (1..kMaxSpares)
    bool gatewaysGiven = false;
    int brokers = Layout{}.brokers;    // brokers in a new configuration (1..kMaxSpares)
    bool brokersGiven = false;
    int commands = Layout{}.commands;  // command nodes in a new configuration (1..kMaxSpares; several need etcd)
    bool commandsGiven = false;
    bool netns = false;             // a new configuration puts every node in a lab network (root only)
};
int runUp(const UpOptions& o);
int runDown(const std::string& dir);
int runStart(const std::string& dir, const std::string& node);
int runKill(const std::string& dir, const std::string& node, const std::string& signal);
int runConfig(const std::string& dir);
// `jupiter config --new`: prints a new configuration for the default layout (nothing is written).
int runConfigNew(const std::string& dir, const ConfigTemplate& t);
// `jupiter keys`: creates any missing node key and the admin client key (what `jupiter up` does first).
int runKeys(const std::string& dir);
// `jupiter etcd-lock`: turns on the authentication of the configured etcd (users root and jupiter,
// a role on the leader key's prefix); `jupiter up` does it for local members.
int runEtcdLock(const std::string& dir);

// Network partitions in a lab network (cmd_partition.cpp): `from` empty cuts `node` off from
// everyone (link down); otherwise from those nodes, etcd members or roles only (blackhole routes).
int runPartition(const std::string& dir, const std::string& node, const std::vector<std::string>& from);
// Restores the links and routes of `node` (every member when empty) and prints what is still cut.
int runHeal(const std::string& dir, const std::string& node);

// Requests (cmd_requests.cpp).
struct RequestOptions {
    std::string dir;
    std::string name;
    std::vector<std::string> fields;  // field=value words
    bool json = false;
    int timeoutMs = 0;                // total wait for the answer (0: client_timeout_ms + 1000)
    int replica = 0;                  // query: 0 = through the gateways, N = the Nth query node
    std::optional<uint64_t> after;    // query: minimum sequence the answer must reflect
};
int runSend(const RequestOptions& o);
int runQuery(const RequestOptions& o);
int runStatus(const std::string& dir, bool json);
// `jupiter console` (cmd_console.cpp): prints the address of the monitor's web console, with the
// token from the keys folder when it is served beyond loopback.
int runConsole(const std::string& dir);

// Convergence check (cmd_verify.cpp): waits up to waitMs for the replicas to reach the head.
int runVerify(const std::string& dir, bool json, int waitMs);

// Transitions as they happen (cmd_watch.cpp); forMs = 0 means until SIGINT/SIGTERM.
int runWatch(const std::string& dir, int forMs);

// `jupiter chaos|bench ARGS…` runs jupiter-chaos|jupiter-bench from beside `jupiter` (cmd_tools.cpp).
int runTool(const std::string& tool, const std::string& dir, const std::vector<std::string>& args);

}  // namespace jupiter::cli
