// TOML configuration parsing and validation (toml++); the default file itself is config_template.cpp.
#include "common/config.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include "common/toml_fields.hpp"

namespace jupiter {
namespace {

namespace tf = toml_fields;

constexpr std::array<std::pair<Role, std::string_view>, 5> kRoleNames = {
    {{Role::Broker, "broker"}, {Role::Command, "command"}, {Role::Query, "query"}, {Role::Monitor, "monitor"},
     {Role::Gateway, "gateway"}}};
constexpr std::array<std::pair<BrokerChannel, std::string_view>, kBrokerChannels> kChannelKeys = {
    {{BrokerChannel::Commands, "commands"}, {BrokerChannel::CommandBackend, "command_backend"},
     {BrokerChannel::EventsIn, "events_in"}, {BrokerChannel::EventsOut, "events_out"}}};

bool validName(std::string_view n) {
    if (n.empty() || n.size() > 40) return false;
    return std::all_of(n.begin(), n.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
    });
}

Result<NodeConfig> parseNode(const toml::table& t, std::size_t index) {
    NodeConfig n;
    const std::string at = fmt::format("[[node]] #{}", index + 1);
    if (auto s = tf::readString(t, at, "name", true, n.name); !s) return s.error();
    if (!validName(n.name))
        return makeError("config", fmt::format("{} name = \"{}\": use 1-40 of a-z, 0-9, - and _ (it names files and "
                                               "bus topics)", at, n.name));
    const std::string where = fmt::format("[[node]] {}:", n.name);
    std::string role;
    if (auto s = tf::readString(t, where, "role", true, role); !s) return s.error();
    auto r = parseRole(role);
    if (!r)
        return makeError("config", fmt::format("{} role = \"{}\" (accepted: broker, command, query, monitor, gateway)",
                                               where, role));
    n.role = *r;
    std::vector<std::string> accepted = {"name", "role", "endpoint", "endpoint_bind", "metrics", "netns"};
    if (n.role == Role::Broker)
        for (auto [c, key] : kChannelKeys) {
            accepted.emplace_back(key);
            accepted.push_back(std::string(key) + "_bind");
        }
    if (n.role == Role::Query)
        for (const char* key : {"drop_live_batches_every", "refuse_event_seq", "snapshot_min_lag", "snapshot_chunk_bytes"})
            accepted.emplace_back(key);
    if (n.role == Role::Command) accepted.emplace_back("wedge_loop_ms");
    if (n.role == Role::Monitor) accepted.emplace_back("console");
    if (auto s = tf::checkKeys(t, fmt::format("[[node]] {} ({})", n.name, role), accepted); !s) return s.error();
    if (auto s = tf::readEndpoint(t, where, "endpoint", n.endpoint, n.bind); !s) return s.error();
    if (n.role == Role::Broker)
        for (auto [c, key] : kChannelKeys) {
            Endpoint e;
            if (auto s = tf::readEndpoint(t, where, key, e.connect, e.bind); !s) return s.error();
            n.channels[c] = e;
        }
    if (auto s = tf::readInt(t, where, "drop_live_batches_every", 0, 1000000, n.dropLiveBatchesEvery); !s)
        return s.error();
    if (auto s = tf::readInt(t, where, "refuse_event_seq", 0, int64_t{1} << 62, n.refuseEventSeq); !s) return s.error();
    if (auto s = tf::readInt(t, where, "wedge_loop_ms", 0, 60000, n.wedgeLoopMs); !s) return s.error();
    if (auto s = tf::readInt(t, where, "snapshot_min_lag", 0, int64_t{1} << 40, n.snapshotMinLag); !s) return s.error();
    if (auto s = tf::readInt(t, where, "snapshot_chunk_bytes", 1024, 2 << 20, n.snapshotChunkBytes); !s) return s.error();
    if (auto s = tf::readString(t, where, "metrics", false, n.metrics); !s) return s.error();
    if (auto s = tf::readString(t, where, "console", false, n.console); !s) return s.error();
    if (auto s = tf::readString(t, where, "netns", false, n.netns); !s) return s.error();
    if (!n.netns.empty() && !validName(n.netns))
        return makeError("config", fmt::format("{} netns = \"{}\": use 1-40 of a-z, 0-9, - and _ (a name in "
                                               "/run/netns)", where, n.netns));
    if (!n.metrics.empty() && !hostPort(n.metrics))
        return makeError("config", fmt::format("{} metrics = \"{}\": use HOST:PORT, e.g. \"127.0.0.1:9100\" "
                                               "(\"0.0.0.0:9100\" to be scraped from other hosts)", where, n.metrics));
    if (!n.console.empty() && !hostPort(n.console))
        return makeError("config", fmt::format("{} console = \"{}\": use HOST:PORT, e.g. \"127.0.0.1:8080\" "
                                               "(\"0.0.0.0:8080\" to be opened from other hosts, with the token in "
                                               "the keys folder's console.token)", where, n.console));
    return n;
}

// A file written by `jupiter up` before nodes were data: it has a table per node.
bool isOldLayout(const toml::table& root) {
    for (auto&& [k, v] : root) {
        const std::string_view key = k.str();
        if (key == "broker" || key == "command" || key.rfind("query-", 0) == 0) return true;
    }
    return false;
}

}  // namespace

std::optional<HostPort> hostPort(std::string_view address) {
    const auto colon = address.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    const std::string_view port = address.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos)
        return std::nullopt;
    const int n = std::stoi(std::string(port));
    if (n > 65535) return std::nullopt;
    return HostPort{std::string(address.substr(0, colon)), n};
}

std::string_view roleName(Role r) {
    for (auto [role, name] : kRoleNames)
        if (role == r) return name;
    return "?";
}

std::optional<Role> parseRole(std::string_view name) {
    for (auto [role, n] : kRoleNames)
        if (n == name) return role;
    return std::nullopt;
}

const std::vector<Role>& allRoles() {
    static const std::vector<Role> roles = {Role::Broker, Role::Command, Role::Query, Role::Monitor, Role::Gateway};
    return roles;
}

std::string_view channelKey(BrokerChannel c) {
    for (auto [ch, key] : kChannelKeys)
        if (ch == c) return key;
    return "?";
}

const NodeConfig* Config::node(std::string_view name) const {
    for (const auto& n : nodes)
        if (n.name == name) return &n;
    return nullptr;
}

std::vector<const NodeConfig*> Config::nodesWith(Role role) const {
    std::vector<const NodeConfig*> out;
    for (const auto& n : nodes)
        if (n.role == role) out.push_back(&n);
    return out;
}

const NodeConfig* Config::firstCommandNode() const {
    for (const auto& n : nodes)
        if (n.role == Role::Command) return &n;
    return nullptr;
}

std::vector<std::string> Config::endpointsOf(Role role) const {
    std::vector<std::string> out;
    for (const auto* n : nodesWith(role)) out.push_back(n->endpoint);
    return out;
}

std::vector<const NodeConfig*> Config::startOrder() const {
    std::vector<const NodeConfig*> out;
    for (Role r : allRoles())
        for (const auto* n : nodesWith(r)) out.push_back(n);
    return out;
}

namespace {

// Every address a node binds or is reached at.
std::vector<const std::string*> allEndpoints(const NodeConfig& n) {
    std::vector<const std::string*> out{&n.endpoint, &n.bind};
    for (const auto& [ch, e] : n.channels) {
        out.push_back(&e.connect);
        out.push_back(&e.bind);
    }
    return out;
}

Status parseSecurity(const toml::table& root, const std::filesystem::path& source, Config& c) {
    c.keysDir = c.dir / "keys";
    if (!root["security"]) return Ok{};
    const toml::table* sec = root["security"].as_table();
    if (!sec) return makeError("config", "security must be a table");
    if (auto s = tf::checkKeys(*sec, "[security]", {"mode", "keys_dir", "sign_events", "max_connections_per_peer"}); !s)
        return s;
    std::string mode = "curve", keys;
    if (auto s = tf::readString(*sec, "[security]", "mode", false, mode); !s) return s;
    if (mode != "curve" && mode != "none")
        return makeError("config", fmt::format("[security] mode = \"{}\" (accepted: curve, none)", mode));
    c.security = mode == "curve" ? SecurityMode::Curve : SecurityMode::None;
    if (auto s = tf::readBool(*sec, "[security]", "sign_events", c.signEvents); !s) return s;
    if (auto s = tf::readInt(*sec, "[security]", "max_connections_per_peer", 1, 1000000, c.maxConnectionsPerPeer); !s)
        return s;
    if (auto s = tf::readString(*sec, "[security]", "keys_dir", false, keys); !s) return s;
    if (!keys.empty()) {
        c.keysDir = keys;
        // Relative to the configuration file's folder (the embedded default: the cluster folder).
        if (c.keysDir.is_relative()) c.keysDir = (source.empty() ? c.dir : source.parent_path()) / c.keysDir;
    }
    return Ok{};
}

Status parseEtcd(const toml::table& root, Config& c) {
    if (!root["etcd"]) return Ok{};
    const toml::table* t = root["etcd"].as_table();
    if (!t) return makeError("config", "etcd must be a table");
    if (auto s = tf::checkKeys(*t, "[etcd]", {"endpoints", "peer_urls", "local", "key", "lease_ttl_s", "netns", "ca_file",
                                         "cert_file", "key_file", "user", "password_file"});
        !s)
        return s;
    auto strings = [&](const char* key, std::vector<std::string>& out) -> Status {
        if (!(*t)[key]) return Ok{};
        const toml::array* a = (*t)[key].as_array();
        if (!a) return makeError("config", fmt::format("[etcd] {} must be an array of URLs", key));
        for (const auto& v : *a) {
            auto u = v.value<std::string>();
            if (!u || !(u->starts_with("http://") || u->starts_with("https://")))
                return makeError("config", fmt::format("[etcd] {}: every entry must be an https:// (or http://) URL", key));
            out.push_back(*u);
        }
        return Ok{};
    };
    if (auto s = strings("endpoints", c.etcd.endpoints); !s) return s;
    if (auto s = strings("peer_urls", c.etcd.peerUrls); !s) return s;
    if ((*t)["local"]) {
        auto v = (*t)["local"].value<bool>();
        if (!v) return makeError("config", "[etcd] local must be true or false");
        c.etcd.local = *v;
    }
    if (auto s = tf::readString(*t, "[etcd]", "key", false, c.etcd.key); !s) return s;
    if (auto s = tf::readInt(*t, "[etcd]", "lease_ttl_s", 1, 60, c.etcd.leaseTtlSeconds); !s) return s;
    const auto schemes = [](const std::vector<std::string>& urls, const char* scheme) {
        return std::all_of(urls.begin(), urls.end(), [&](const std::string& u) { return u.starts_with(scheme); });
    };
    if (!schemes(c.etcd.endpoints, "https://") && !schemes(c.etcd.endpoints, "http://"))
        return makeError("config", "[etcd] endpoints must all be https:// or all http://");
    if (c.etcd.local && !schemes(c.etcd.peerUrls, c.etcd.tls() ? "https://" : "http://"))
        return makeError("config", "[etcd] peer_urls must use the scheme of endpoints");
    if (c.security == SecurityMode::Curve && !c.etcd.endpoints.empty() && !c.etcd.tls())
        return makeError("config", "[etcd] endpoints are http:// but security is \"curve\": etcd holds the leadership "
                                   "and must be locked (TLS with client certificates and a user). Use https:// URLs "
                                   "(`jupiter up` makes the certificates of local members in the keys folder; give an "
                                   "external etcd the same: etcd/ca.crt, etcd/client.crt and .key, etcd/jupiter.password "
                                   "there), "
                                   "or move this file aside and let `jupiter up` write a new one");
    if (auto s = tf::readString(*t, "[etcd]", "user", false, c.etcd.user); !s) return s;
    // Files: relative to the keys folder; by default the ones `jupiter up` makes there.
    const std::pair<const char*, std::filesystem::path*> files[] = {{"ca_file", &c.etcd.caFile},
                                                                   {"cert_file", &c.etcd.certFile},
                                                                   {"key_file", &c.etcd.keyFile},
                                                                   {"password_file", &c.etcd.passwordFile}};
    const char* defaults[] = {"etcd/ca.crt", "etcd/client.crt", "etcd/client.key", "etcd/jupiter.password"};
    for (std::size_t i = 0; i < std::size(files); ++i) {
        std::string v = defaults[i];
        if (auto s = tf::readString(*t, "[etcd]", files[i].first, false, v); !s) return s;
        *files[i].second = std::filesystem::path(v).is_relative() ? c.keysDir / v : std::filesystem::path(v);
    }
    if (c.etcd.local && c.etcd.peerUrls.size() != c.etcd.endpoints.size())
        return makeError("config", "[etcd] local = true needs one peer_urls entry per endpoints entry");
    if ((*t)["netns"]) {
        const toml::array* a = (*t)["netns"].as_array();
        for (std::size_t i = 0; a && i < a->size(); ++i) {
            auto v = a->get(i)->value<std::string>();
            if (!v || !validName(*v)) a = nullptr;
            else c.etcd.netns.push_back(*v);
        }
        if (!a || !c.etcd.local || c.etcd.netns.size() != c.etcd.endpoints.size())
            return makeError("config", "[etcd] netns must list one network namespace name (a-z, 0-9, - and _) per "
                                       "local member, in the order of endpoints");
    }
    return Ok{};
}

Status parseNetLab(const toml::table& root, Config& c) {
    if (!root["netlab"]) return Ok{};
    const toml::table* t = root["netlab"].as_table();
    if (!t) return makeError("config", "netlab must be a table");
    if (auto s = tf::checkKeys(*t, "[netlab]", {"bridge", "address"}); !s) return s;
    if (auto s = tf::readString(*t, "[netlab]", "bridge", true, c.netlab.bridge); !s) return s;
    if (auto s = tf::readString(*t, "[netlab]", "address", true, c.netlab.address); !s) return s;
    if (c.netlab.bridge.size() > 15 || !validName(c.netlab.bridge))
        return makeError("config", fmt::format("[netlab] bridge = \"{}\": an interface name, 1-15 of a-z, 0-9, - and _",
                                               c.netlab.bridge));
    unsigned a = 0, b = 0, d = 0, e = 0, prefix = 0;
    char end = 0;
    if (std::sscanf(c.netlab.address.c_str(), "%u.%u.%u.%u/%u%c", &a, &b, &d, &e, &prefix, &end) != 5 || a > 255 ||
        b > 255 || d > 255 || e > 255 || prefix < 8 || prefix > 30)
        return makeError("config", fmt::format("[netlab] address = \"{}\": an IPv4 address with its prefix, e.g. "
                                               "\"10.201.7.1/24\"", c.netlab.address));
    return Ok{};
}

}  // namespace

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

    if (isOldLayout(root)) {
        const std::string file = source.empty() ? "the file" : source.string();
        return makeError("config", fmt::format(
            "{}: this file has the layout of an older `jupiter up` (tables [broker], [command], [query-1], ...); "
            "nodes are now listed as [[node]] entries with a name and a role. Move it aside (mv {} {}.old) and run "
            "`jupiter up --dir {}` to write the new layout: data, logs and node names are kept",
            where, file, file, source.empty() ? "DIR" : source.parent_path().string()));
    }
    if (auto s = tf::checkKeys(root, where + ": top level", {"cluster", "monitor", "gateway", "node", "security", "etcd",
                                                               "netlab"}); !s)
        return s.error();
    for (const char* t : {"cluster", "monitor", "gateway"}) {
        if (!root[t]) return makeError("config", fmt::format("{}: table [{}] is missing", where, t));
        if (!root[t].as_table()) return makeError("config", fmt::format("{}: {} must be a table", where, t));
    }

    const toml::table& cl = *root["cluster"].as_table();
    if (auto s = tf::checkKeys(cl, "[cluster]", {"dir", "logs_dir", "heartbeat_interval_ms", "heartbeat_liveness",
                                              "recovery_heartbeats", "sync"}); !s)
        return fail(s.error());
    std::string dir;
    if (auto s = tf::readString(cl, "[cluster]", "dir", true, dir); !s) return fail(s.error());
    if (dir.empty()) return makeError("config", fmt::format("{}: [cluster] dir must not be empty", where));
    c.dir = std::filesystem::path(dir);
    if (c.dir.is_relative() && !source.empty()) c.dir = source.parent_path() / c.dir;
    std::string logs;
    if (auto s = tf::readString(cl, "[cluster]", "logs_dir", false, logs); !s) return fail(s.error());
    c.logsDir = logs.empty() ? c.dir / "log" : std::filesystem::path(logs);
    if (c.logsDir.is_relative()) c.logsDir = (source.empty() ? c.dir : source.parent_path()) / c.logsDir;
    for (auto s : {tf::readInt(cl, "[cluster]", "heartbeat_interval_ms", 5, 60000, c.heartbeatIntervalMs),
                   tf::readInt(cl, "[cluster]", "heartbeat_liveness", 1, 100, c.heartbeatLiveness),
                   tf::readInt(cl, "[cluster]", "recovery_heartbeats", 1, 100, c.recoveryHeartbeats)})
        if (!s) return fail(s.error());
    std::string sync = "durable";
    if (auto s = tf::readString(cl, "[cluster]", "sync", false, sync); !s) return fail(s.error());
    if (sync != "durable" && sync != "async")
        return makeError("config", fmt::format("{}: [cluster] sync = \"{}\" (accepted: durable, async)", where, sync));
    c.syncDurable = sync == "durable";

    const toml::table& mon = *root["monitor"].as_table();
    if (auto s = tf::checkKeys(mon, "[monitor]", {"ping_interval_ms", "ping_timeout_ms", "ping_quiet_interval_ms"}); !s)
        return fail(s.error());
    for (auto s : {tf::readInt(mon, "[monitor]", "ping_interval_ms", 5, 60000, c.pingIntervalMs),
                   tf::readInt(mon, "[monitor]", "ping_timeout_ms", 5, 60000, c.pingTimeoutMs),
                   tf::readInt(mon, "[monitor]", "ping_quiet_interval_ms", 5, 60000, c.pingQuietIntervalMs)})
        if (!s) return fail(s.error());
    const toml::table& gw = *root["gateway"].as_table();
    if (auto s = tf::checkKeys(gw, "[gateway]", {"query_timeout_ms", "query_timeout_min_ms", "command_timeout_ms",
                                              "client_timeout_ms", "max_lag_events", "leave_lag_events", "routing",
                                              "io_threads"}); !s)
        return fail(s.error());
    for (auto s : {tf::readInt(gw, "[gateway]", "query_timeout_ms", 5, 60000, c.queryTimeoutMs),
                   tf::readInt(gw, "[gateway]", "query_timeout_min_ms", 1, 60000, c.queryTimeoutMinMs),
                   tf::readInt(gw, "[gateway]", "command_timeout_ms", 5, 60000, c.commandTimeoutMs),
                   tf::readInt(gw, "[gateway]", "client_timeout_ms", 10, 600000, c.clientTimeoutMs),
                   tf::readInt(gw, "[gateway]", "max_lag_events", 0, 1000000000, c.maxLagEvents),
                   tf::readInt(gw, "[gateway]", "leave_lag_events", 0, 1000000000, c.leaveLagEvents),
                   tf::readInt(gw, "[gateway]", "io_threads", 1, 16, c.gatewayIoThreads)})
        if (!s) return fail(s.error());
    std::string routing = "primary";
    if (auto s = tf::readString(gw, "[gateway]", "routing", false, routing); !s) return fail(s.error());
    if (routing != "primary" && routing != "spread")
        return makeError("config", fmt::format("{}: [gateway] routing = \"{}\" (accepted: primary, spread)", where, routing));
    c.spreadQueries = routing == "spread";
    if (c.queryTimeoutMinMs > c.queryTimeoutMs)
        return fail(makeError("config", "[gateway] query_timeout_min_ms must not exceed query_timeout_ms"));

    if (auto s = parseSecurity(root, source, c); !s) return fail(s.error());
    if (auto s = parseEtcd(root, c); !s) return fail(s.error());
    if (auto s = parseNetLab(root, c); !s) return fail(s.error());

    const toml::array* nodes = root["node"].as_array();
    if (!nodes || nodes->empty())
        return makeError("config", fmt::format("{}: no [[node]] entries (each node of the cluster is one [[node]] "
                                               "with name, role and endpoint)", where));
    for (std::size_t i = 0; i < nodes->size(); ++i) {
        const toml::table* t = nodes->get(i)->as_table();
        if (!t) return makeError("config", fmt::format("{}: node must be an array of tables ([[node]])", where));
        auto n = parseNode(*t, i);
        if (!n) return fail(n.error());
        if (c.node(n->name))
            return makeError("config", fmt::format("{}: two nodes are named {}", where, n->name));
        c.nodes.push_back(std::move(*n));
    }
    for (Role r : allRoles())
        if (c.nodesWith(r).empty())
            return makeError("config", fmt::format("{}: no node has role = \"{}\" (a cluster needs at least one of "
                                                   "each: broker, command, query, monitor, gateway)", where,
                                                   roleName(r)));

    if (c.replicated() && c.etcd.endpoints.empty())
        return makeError("config", fmt::format("{}: {} command nodes need an [etcd] table with endpoints (etcd elects "
                                               "their leader); or keep one command node", where,
                                               c.nodesWith(Role::Command).size()));
    // Two nodes binding the same address would fail later with a less helpful message.
    std::map<std::string, std::string> seen;
    auto claim = [&](const std::string& what, const std::string& ep) -> Status {
        auto [it, fresh] = seen.emplace(ep, what);
        if (!fresh && ep.rfind("inproc://", 0) != 0)
            return makeError("config", fmt::format("{}: {} and {} both use {}", where, it->second, what, ep));
        return Ok{};
    };
    for (const auto& n : c.nodes) {
        if (auto s = claim(n.name + " endpoint", n.endpoint); !s) return s.error();
        for (const auto& [ch, e] : n.channels)
            if (auto s = claim(fmt::format("{} {}", n.name, channelKey(ch)), e.connect); !s) return s.error();
    }
    if (c.security == SecurityMode::None)
        for (const auto& n : c.nodes)
            for (const auto* ep : allEndpoints(n))
                if (!isLocalEndpoint(*ep))
                    return makeError("config", fmt::format(
                        "{}: [security] mode = \"none\" is accepted only when every endpoint is loopback or ipc, and "
                        "{} uses {}; remove the line to use CurveZMQ (the default)", where, n.name, *ep));
    return c;
}

bool isLocalEndpoint(std::string_view ep) {
    if (ep.starts_with("ipc://") || ep.starts_with("inproc://")) return true;
    if (!ep.starts_with("tcp://")) return false;
    const std::string_view host = ep.substr(6);
    return host.starts_with("127.") || host.starts_with("localhost:") || host.starts_with("[::1]:");
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
