// Cluster configuration: where every node listens, where data lives, and the timing knobs.
// Read from TOML once at start-up and validated there, with messages that name the bad key; the
// embedded default (defaultConfigToml) puts a whole cluster on loopback ports from a base port.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace jupiter {

// One daemon: its name (broker, command, query-1..3, monitor, gateway), role, the endpoint peers
// connect to for requests and pings, and the address it binds (defaults to the endpoint).
struct NodeConfig {
    std::string name;
    std::string role;
    std::string endpoint;
    std::string bind;
};

struct BrokerChannels {
    std::string commands, commandsBind;        // gateways connect here (ROUTER)
    std::string backend, backendBind;          // the command node connects here (DEALER)
    std::string eventsIn, eventsInBind;        // publishers connect here (XSUB)
    std::string eventsOut, eventsOutBind;      // subscribers connect here (XPUB)
};

struct Config {
    std::filesystem::path dir;                 // data, logs and pidfiles
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
    int pingIntervalMs = 100;                  // monitor
    int pingTimeoutMs = 300;                   // monitor
    bool syncDurable = true;                   // command node: fsync the WAL before acknowledging
    BrokerChannels broker;
    std::vector<NodeConfig> nodes;             // in canonical order

    const NodeConfig* node(std::string_view name) const;
    std::vector<const NodeConfig*> queryNodes() const;
    std::filesystem::path nodeDataDir(std::string_view name) const { return dir / std::string(name); }
    std::filesystem::path logFile(std::string_view name) const { return dir / "log" / (std::string(name) + ".log"); }
    std::filesystem::path pidFile(std::string_view name) const { return dir / "run" / (std::string(name) + ".pid"); }
    std::filesystem::path transitionLog() const { return dir / "log" / "transitions.log"; }
};

inline constexpr int kDefaultBasePort = 7700;
// Ports used from the base port on: base+0 .. base+kPortsUsed-1.
inline constexpr int kPortsUsed = 11;

// The names of all nodes, in canonical order.
const std::vector<std::string>& allNodeNames();
std::string roleOf(std::string_view nodeName);

// The embedded default configuration: all loopback, ports from basePort, data under dir.
std::string defaultConfigToml(const std::filesystem::path& dir, int basePort);

// Parses and validates; `source` names the file in error messages.
Result<Config> parseConfig(std::string_view toml, const std::filesystem::path& source);
Result<Config> loadConfig(const std::filesystem::path& file);

}  // namespace jupiter
