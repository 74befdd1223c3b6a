// TOML configuration parsing and validation (toml++).
#include "common/config.hpp"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace jupiter {
namespace {

Status checkEndpoint(const std::string& key, const std::string& ep) {
    if (ep.rfind("tcp://", 0) != 0 && ep.rfind("ipc://", 0) != 0 && ep.rfind("inproc://", 0) != 0)
        return makeError("config", fmt::format("{} = \"{}\" is not a ZeroMQ endpoint (expected tcp://HOST:PORT or "
                                               "ipc://PATH)", key, ep));
    if (ep.rfind("tcp://", 0) == 0) {
        auto colon = ep.rfind(':');
        if (colon == std::string::npos || colon < 6 || colon + 1 >= ep.size())
            return makeError("config", fmt::format("{} = \"{}\" has no port (expected tcp://HOST:PORT)", key, ep));
        for (std::size_t i = colon + 1; i < ep.size(); ++i)
            if ((ep[i] < '0' || ep[i] > '9') && ep[i] != '*')
                return makeError("config", fmt::format("{} = \"{}\" has a bad port", key, ep));
    }
    return Ok{};
}

// Reads an integer key within [lo, hi], leaving `out` untouched when absent.
Status readInt(const toml::table& t, std::string_view table, std::string_view key, int lo, int hi, int& out) {
    auto node = t[key];
    if (!node) return Ok{};
    auto v = node.value<int64_t>();
    if (!v || *v < lo || *v > hi)
        return makeError("config", fmt::format("[{}] {} must be an integer from {} to {}", table, key, lo, hi));
    out = static_cast<int>(*v);
    return Ok{};
}

Status readString(const toml::table& t, std::string_view table, std::string_view key, bool required,
                  std::string& out) {
    auto node = t[key];
    if (!node) {
        if (required) return makeError("config", fmt::format("[{}] {} is missing", table, key));
        return Ok{};
    }
    auto v = node.value<std::string>();
    if (!v) return makeError("config", fmt::format("[{}] {} must be a string", table, key));
    out = *v;
    return Ok{};
}

Status readEndpointPair(const toml::table& t, std::string_view table, std::string_view key, std::string& ep,
                        std::string& bind) {
    if (auto s = readString(t, table, key, true, ep); !s) return s;
    if (auto s = checkEndpoint(fmt::format("[{}] {}", table, key), ep); !s) return s;
    bind = ep;
    std::string bindKey = std::string(key) + "_bind";
    if (auto s = readString(t, table, bindKey, false, bind); !s) return s;
    return checkEndpoint(fmt::format("[{}] {}", table, bindKey), bind);
}

}  // namespace

const std::vector<std::string>& allNodeNames() {
    static const std::vector<std::string> names = {"broker",  "command", "query-1", "query-2",
                                                   "query-3", "monitor", "gateway"};
    return names;
}

std::string roleOf(std::string_view nodeName) {
    if (nodeName.rfind("query-", 0) == 0) return "query";
    return std::string(nodeName);
}

const NodeConfig* Config::node(std::string_view name) const {
    for (const auto& n : nodes)
        if (n.name == name) return &n;
    return nullptr;
}

std::vector<const NodeConfig*> Config::queryNodes() const {
    std::vector<const NodeConfig*> out;
    for (const auto& n : nodes)
        if (n.role == "query") out.push_back(&n);
    return out;
}

std::string defaultConfigToml(const std::filesystem::path& dir, int basePort) {
    auto ep = [basePort](int off) { return fmt::format("tcp://127.0.0.1:{}", basePort + off); };
    return fmt::format(R"(# Jupiter cluster configuration (written by `jupiter up`; edit and restart to change).
# Every endpoint may name another host; `<key>_bind` overrides the address a node binds.

[cluster]
dir = "{}"
heartbeat_interval_ms = 100   # every node publishes a heartbeat this often
heartbeat_liveness = 3        # missed heartbeats before a node is DOWN
recovery_heartbeats = 3       # fresh heartbeats in a row before it is UP again
sync = "durable"              # durable: fsync before acknowledging a command; "async": faster, may lose the last writes on power loss

[broker]
endpoint = "{}"         # pings
commands = "{}"         # gateways send commands here
command_backend = "{}"  # the command node takes commands from here
events_in = "{}"        # nodes publish events and heartbeats here
events_out = "{}"       # nodes subscribe here

[command]
endpoint = "{}"         # replay of events, pings, digests

[query-1]
endpoint = "{}"

[query-2]
endpoint = "{}"

[query-3]
endpoint = "{}"

[monitor]
endpoint = "{}"         # status requests and pings
ping_interval_ms = 100
ping_timeout_ms = 300

[gateway]
endpoint = "{}"         # clients send commands and queries here
query_timeout_ms = 250       # per attempt, before the query goes to another replica (the ceiling)
query_timeout_min_ms = 50    # the floor: once answers are seen, the timeout follows their latency in between
command_timeout_ms = 1500    # per attempt, before the command is resent (same request id)
client_timeout_ms = 10000    # total, before the client gets an error
max_lag_events = 0           # a replica further behind the head than this is not chosen (nor failed back to)
leave_lag_events = 1000      # the replica in use is left only when it falls further behind than this
)",
                       dir.string(), ep(0), ep(1), ep(2), ep(3), ep(4), ep(5), ep(6), ep(7), ep(8), ep(9), ep(10));
}

Result<Config> parseConfig(std::string_view text, const std::filesystem::path& source) {
    const std::string where = source.empty() ? "embedded configuration" : source.string();
    toml::table root;
    try {
        root = toml::parse(text, source.string());
    } catch (const toml::parse_error& e) {
        return makeError("config", fmt::format("{}: not valid TOML at line {}: {}", where, e.source().begin.line,
                                               e.description()));
    }
    Config c;
    c.source = source;
    auto fail = [&where](const Error& e) { return makeError("config", fmt::format("{}: {}", where, e.message)); };

    static const std::vector<std::string> tables = {"cluster", "broker",  "command", "query-1", "query-2",
                                                    "query-3", "monitor", "gateway"};
    for (auto&& [k, v] : root) {
        bool known = false;
        for (const auto& t : tables) known = known || t == k.str();
        if (!known)
            return makeError("config", fmt::format("{}: unknown table [{}] (accepted: cluster, broker, command, "
                                                   "query-1, query-2, query-3, monitor, gateway)", where, k.str()));
        if (!v.is_table()) return makeError("config", fmt::format("{}: {} must be a table", where, k.str()));
    }
    for (const auto& t : tables)
        if (!root[t].as_table())
            return makeError("config", fmt::format("{}: table [{}] is missing", where, t));

    const toml::table& cl = *root["cluster"].as_table();
    std::string dir;
    if (auto s = readString(cl, "cluster", "dir", true, dir); !s) return fail(s.error());
    if (dir.empty()) return makeError("config", fmt::format("{}: [cluster] dir must not be empty", where));
    c.dir = std::filesystem::path(dir);
    if (c.dir.is_relative() && !source.empty()) c.dir = source.parent_path() / c.dir;
    for (auto s : {readInt(cl, "cluster", "heartbeat_interval_ms", 5, 60000, c.heartbeatIntervalMs),
                   readInt(cl, "cluster", "heartbeat_liveness", 1, 100, c.heartbeatLiveness),
                   readInt(cl, "cluster", "recovery_heartbeats", 1, 100, c.recoveryHeartbeats)})
        if (!s) return fail(s.error());
    std::string sync = "durable";
    if (auto s = readString(cl, "cluster", "sync", false, sync); !s) return fail(s.error());
    if (sync != "durable" && sync != "async")
        return makeError("config", fmt::format("{}: [cluster] sync = \"{}\" (accepted: durable, async)", where, sync));
    c.syncDurable = sync == "durable";

    const toml::table& br = *root["broker"].as_table();
    NodeConfig broker{"broker", "broker", "", ""};
    for (auto s : {readEndpointPair(br, "broker", "endpoint", broker.endpoint, broker.bind),
                   readEndpointPair(br, "broker", "commands", c.broker.commands, c.broker.commandsBind),
                   readEndpointPair(br, "broker", "command_backend", c.broker.backend, c.broker.backendBind),
                   readEndpointPair(br, "broker", "events_in", c.broker.eventsIn, c.broker.eventsInBind),
                   readEndpointPair(br, "broker", "events_out", c.broker.eventsOut, c.broker.eventsOutBind)})
        if (!s) return fail(s.error());
    c.nodes.push_back(broker);
    for (const auto& name : allNodeNames()) {
        if (name == "broker") continue;
        const toml::table& t = *root[name].as_table();
        NodeConfig n{name, roleOf(name), "", ""};
        if (auto s = readEndpointPair(t, name, "endpoint", n.endpoint, n.bind); !s) return fail(s.error());
        c.nodes.push_back(n);
    }
    const toml::table& mon = *root["monitor"].as_table();
    for (auto s : {readInt(mon, "monitor", "ping_interval_ms", 5, 60000, c.pingIntervalMs),
                   readInt(mon, "monitor", "ping_timeout_ms", 5, 60000, c.pingTimeoutMs)})
        if (!s) return fail(s.error());
    const toml::table& gw = *root["gateway"].as_table();
    for (auto s : {readInt(gw, "gateway", "query_timeout_ms", 5, 60000, c.queryTimeoutMs),
                   readInt(gw, "gateway", "query_timeout_min_ms", 1, 60000, c.queryTimeoutMinMs),
                   readInt(gw, "gateway", "command_timeout_ms", 5, 60000, c.commandTimeoutMs),
                   readInt(gw, "gateway", "client_timeout_ms", 10, 600000, c.clientTimeoutMs),
                   readInt(gw, "gateway", "max_lag_events", 0, 1000000000, c.maxLagEvents),
                   readInt(gw, "gateway", "leave_lag_events", 0, 1000000000, c.leaveLagEvents)})
        if (!s) return fail(s.error());
    if (c.queryTimeoutMinMs > c.queryTimeoutMs)
        return fail(makeError("config", "[gateway] query_timeout_min_ms must not exceed query_timeout_ms"));
    // Two nodes binding the same address would fail later with a less helpful message.
    std::map<std::string, std::string> seen;
    auto claim = [&](const std::string& what, const std::string& ep) -> Status {
        auto [it, fresh] = seen.emplace(ep, what);
        if (!fresh && ep.rfind("inproc://", 0) != 0)
            return makeError("config", fmt::format("{}: {} and {} both use {}", where, it->second, what, ep));
        return Ok{};
    };
    for (const auto& n : c.nodes)
        if (auto s = claim(n.name + " endpoint", n.endpoint); !s) return s.error();
    for (auto& [what, ep] : std::vector<std::pair<std::string, std::string>>{
             {"broker commands", c.broker.commands}, {"broker command_backend", c.broker.backend},
             {"broker events_in", c.broker.eventsIn}, {"broker events_out", c.broker.eventsOut}})
        if (auto s = claim(what, ep); !s) return s.error();
    return c;
}

Result<Config> loadConfig(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in)
        return makeError("config", fmt::format("cannot read configuration {} (run `jupiter up --dir DIR` to create "
                                               "a cluster there, or pass --config FILE)", file.string()));
    std::stringstream ss;
    ss << in.rdbuf();
    return parseConfig(ss.str(), std::filesystem::absolute(file));
}

}  // namespace jupiter
