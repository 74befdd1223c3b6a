// Configuration: the nodes are data (names, roles, endpoints in configured order), the embedded
// default describes any layout, and bad configuration is refused naming the key.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include "common/config.hpp"

using namespace jupiter;

namespace {

std::vector<std::string> names(const std::vector<const NodeConfig*>& nodes) {
    std::vector<std::string> out;
    for (const auto* n : nodes) out.push_back(n->name);
    return out;
}

Layout withReplicas(int n) {
    Layout l;
    l.queries = n;
    return l;
}

}  // namespace

TEST_CASE("config: the embedded default describes all eleven nodes, three etcd members, metrics and the console on "
          "consecutive ports") {
    auto c = parseConfig(defaultConfigToml("/tmp/jx", 23000), "");
    REQUIRE(c.ok());
    CHECK(c->nodes.size() == 11);
    CHECK(portsUsed(Layout{}) == 37);  // 25 for the bus and etcd, one metrics port per node, the console
    CHECK(c->node("broker-1")->metrics == "127.0.0.1:23025");
    CHECK(c->node("gateway-2")->metrics == "127.0.0.1:23035");
    CHECK(c->node("monitor")->console == "127.0.0.1:23036");
    CHECK(c->node("broker-1")->console.empty());
    CHECK(names(c->nodesWith(Role::Broker)) == std::vector<std::string>{"broker-1", "broker-2"});
    const NodeConfig* broker = c->node("broker-1");
    REQUIRE(broker);
    CHECK(broker->role == Role::Broker);
    CHECK(broker->endpoint == "tcp://127.0.0.1:23000");
    CHECK(broker->channel(BrokerChannel::EventsOut).connect == "tcp://127.0.0.1:23004");
    CHECK(c->node("broker-2")->endpoint == "tcp://127.0.0.1:23005");
    CHECK(names(c->nodesWith(Role::Gateway)) == std::vector<std::string>{"gateway-1", "gateway-2"});
    CHECK(c->node("gateway-1")->endpoint == "tcp://127.0.0.1:23017");
    CHECK(c->node("gateway-2")->endpoint == "tcp://127.0.0.1:23018");
    CHECK(c->endpointsOf(Role::Gateway) == std::vector<std::string>{"tcp://127.0.0.1:23017", "tcp://127.0.0.1:23018"});
    CHECK(names(c->nodesWith(Role::Query)) == std::vector<std::string>{"query-1", "query-2", "query-3"});
    CHECK(names(c->nodesWith(Role::Command)) == std::vector<std::string>{"command-1", "command-2", "command-3"});
    CHECK(c->replicated());
    CHECK(c->firstCommandNode()->name == "command-1");
    // A local three-member etcd elects their leader, on the last six ports, locked: TLS with the
    // certificates `jupiter up` makes in keys/etcd/ and Jupiter's etcd user.
    CHECK(c->etcd.local);
    CHECK(c->etcd.endpoints ==
          std::vector<std::string>{"https://127.0.0.1:23019", "https://127.0.0.1:23021", "https://127.0.0.1:23023"});
    CHECK(c->etcd.peerUrls.back() == "https://127.0.0.1:23024");
    CHECK(c->etcd.tls());
    CHECK(c->etcd.caFile == c->keysDir / "etcd" / "ca.crt");
    CHECK(c->etcd.certFile == c->keysDir / "etcd" / "client.crt");
    CHECK(c->etcd.keyFile == c->keysDir / "etcd" / "client.key");
    CHECK(c->etcd.passwordFile == c->keysDir / "etcd" / "jupiter.password");
    CHECK(c->etcd.user == "jupiter");
    CHECK(c->etcd.leaseTtlSeconds == 2);
    CHECK(c->heartbeatIntervalMs == 100);
    CHECK(c->queryTimeoutMinMs == 50);
    CHECK(c->syncDurable);
    CHECK(c->pidFile("query-2") == "/tmp/jx/run/query-2.pid");
    CHECK(c->logFile("query-2") == "/tmp/jx/log/query-2.log");
}

TEST_CASE("config: logs_dir puts log files elsewhere (absolute, or relative to the file's folder)") {
    auto text = defaultConfigToml("/var/lib/jupiter", 23000);
    const auto at = text.find("heartbeat_interval_ms");
    REQUIRE(at != std::string::npos);
    auto abs = parseConfig(text.substr(0, at) + "logs_dir = \"/var/log/jupiter\"\n" + text.substr(at), "/etc/j.toml");
    REQUIRE(abs.ok());
    CHECK(abs->logFile("gateway-1") == "/var/log/jupiter/gateway-1.log");
    CHECK(abs->transitionLog() == "/var/log/jupiter/transitions.log");
    CHECK(abs->pidFile("gateway-1") == "/var/lib/jupiter/run/gateway-1.pid");
    auto rel = parseConfig(text.substr(0, at) + "logs_dir = \"logs\"\n" + text.substr(at), "/etc/jupiter/j.toml");
    REQUIRE(rel.ok());
    CHECK(rel->logFile("monitor") == "/etc/jupiter/logs/monitor.log");
    auto badMetrics = text;
    badMetrics.replace(badMetrics.find("metrics = \"127.0.0.1:"), 27, "metrics = \"127.0.0.1\" #");
    auto refused = parseConfig(badMetrics, "");
    REQUIRE(!refused.ok());
    CHECK(refused.error().message.find("use HOST:PORT") != std::string::npos);
    auto badConsole = text;
    badConsole.replace(badConsole.find("console = \"127.0.0.1:"), 27, "console = \"8080\"        #");
    auto noPort = parseConfig(badConsole, "");
    REQUIRE(!noPort.ok());
    CHECK(noPort.error().message.find("console = \"8080\": use HOST:PORT") != std::string::npos);
    // Only the monitor serves the console.
    auto onGateway = text;
    onGateway.insert(onGateway.find("role = \"gateway\"\n") + 17, "console = \"127.0.0.1:9\"\n");
    auto notMonitor = parseConfig(onGateway, "");
    REQUIRE(!notMonitor.ok());
    CHECK(notMonitor.error().message.find("console") != std::string::npos);
    auto typo = parseConfig(text.substr(0, at) + "log_dir = \"logs\"\n" + text.substr(at), "/etc/jupiter/j.toml");
    REQUIRE(!typo.ok());
    CHECK(typo.error().message.find("did you mean logs_dir?") != std::string::npos);
}

TEST_CASE("config: any number of replicas - and one or several of every role - in configured order") {
    for (int n : {1, 5, 9}) {
        auto c = parseConfig(defaultConfigToml("/tmp/jx", 23000, withReplicas(n)), "");
        REQUIRE(c.ok());
        CHECK(c->nodesWith(Role::Query).size() == static_cast<std::size_t>(n));
        CHECK(c->nodesWith(Role::Query).front()->name == "query-1");
        CHECK(c->nodes.size() == static_cast<std::size_t>(8 + n));
        CHECK(portsUsed(withReplicas(n)) == 22 + n + 8 + n + 1);
        CHECK(c->node("gateway-2")->endpoint == fmt::format("tcp://127.0.0.1:{}", 23000 + 15 + n));
    }
    Layout smallest;
    smallest.brokers = 1;
    smallest.gateways = 1;
    smallest.queries = 1;
    smallest.commands = 1;
    auto one = parseConfig(defaultConfigToml("/tmp/jx", 23000, smallest), "");
    REQUIRE(one.ok());
    CHECK(one->nodes.size() == 5);
    CHECK_FALSE(one->replicated());  // one command node: no etcd
    CHECK(one->etcd.endpoints.empty());
    CHECK(portsUsed(smallest) == 9 + 5 + 1);
    REQUIRE(one->node("broker"));
    REQUIRE(one->node("gateway"));
    Layout many;
    many.brokers = 2;
    many.commands = 3;
    many.gateways = 2;
    auto c = parseConfig(defaultConfigToml("/tmp/jx", 23000, many), "");
    REQUIRE(c.ok());
    CHECK(names(c->nodesWith(Role::Broker)) == std::vector<std::string>{"broker-1", "broker-2"});
    CHECK(names(c->nodesWith(Role::Gateway)) == std::vector<std::string>{"gateway-1", "gateway-2"});
    CHECK(c->firstCommandNode()->name == "command-1");
    // Start order is by role, whatever the order in the file.
    const auto order = c->startOrder();
    CHECK(order.front()->role == Role::Broker);
    CHECK(order.back()->role == Role::Gateway);
}

TEST_CASE("config: the preference order of query nodes is the order of the file - names are free") {
    const std::string toml = R"(
[cluster]
dir = "/tmp/jx"
[monitor]
[gateway]
[[node]]
name = "bus"
role = "broker"
endpoint = "tcp://127.0.0.1:23000"
commands = "tcp://127.0.0.1:23001"
command_backend = "tcp://127.0.0.1:23002"
events_in = "tcp://127.0.0.1:23003"
events_out = "tcp://127.0.0.1:23004"
events_out_bind = "tcp://*:23004"
[[node]]
name = "zeta"
role = "query"
endpoint = "tcp://127.0.0.1:23005"
[[node]]
name = "alpha"
role = "query"
endpoint = "tcp://127.0.0.1:23006"
[[node]]
name = "writer"
role = "command"
endpoint = "tcp://127.0.0.1:23007"
[[node]]
name = "watch"
role = "monitor"
endpoint = "tcp://127.0.0.1:23008"
[[node]]
name = "front"
role = "gateway"
endpoint = "tcp://127.0.0.1:23009"
)";
    auto c = parseConfig(toml, "/etc/jupiter.toml");
    INFO((c.ok() ? "" : c.error().message));
    REQUIRE(c.ok());
    CHECK(names(c->nodesWith(Role::Query)) == std::vector<std::string>{"zeta", "alpha"});
    CHECK(c->firstCommandNode()->name == "writer");
    CHECK(c->node("bus")->channel(BrokerChannel::EventsOut).bind == "tcp://*:23004");
    CHECK(names(c->startOrder()) == std::vector<std::string>{"bus", "writer", "zeta", "alpha", "watch", "front"});
}

TEST_CASE("config: errors name the key and the accepted values") {
    const std::string base = defaultConfigToml("/tmp/jx", 23000);
    auto replace = [&](const std::string& from, const std::string& to) {
        std::string s = base;
        REQUIRE(s.find(from) != std::string::npos);
        s.replace(s.find(from), from.size(), to);
        return parseConfig(s, "/etc/jupiter.toml");
    };
    auto r1 = replace("heartbeat_interval_ms = 100", "heartbeat_interval_ms = -4");
    CHECK(r1.error().message.find("[cluster] heartbeat_interval_ms must be an integer from 5") != std::string::npos);
    auto r2 = replace("sync = \"durable\"", "sync = \"sometimes\"");
    CHECK(r2.error().message.find("accepted: durable, async") != std::string::npos);
    auto r3 = replace("endpoint = \"tcp://127.0.0.1:23013\"", "endpoint = \"http://x\"");
    CHECK(r3.error().message.find("[[node]] query-1: endpoint") != std::string::npos);
    auto r4 = replace("[monitor]", "[monitr]");
    CHECK(r4.error().message.find("unknown key monitr (did you mean monitor?)") != std::string::npos);
    auto r5 = replace("endpoint = \"tcp://127.0.0.1:23012\"", "endpoint = \"tcp://127.0.0.1:23011\"");
    CHECK(r5.error().message.find("both use tcp://127.0.0.1:23011") != std::string::npos);
    auto r7 = replace("query_timeout_min_ms = 50", "query_timeout_min_ms = 500");
    CHECK(r7.error().message.find("query_timeout_min_ms must not exceed query_timeout_ms") != std::string::npos);
    auto r6 = parseConfig("[cluster\n", "/etc/jupiter.toml");
    CHECK(r6.error().message.find("/etc/jupiter.toml: not valid TOML at line 1") == 0);
    auto r8 = replace("heartbeat_interval_ms = 100", "heartbeat_intervall_ms = 100");
    CHECK(r8.error().message.find("unknown key heartbeat_intervall_ms (did you mean heartbeat_interval_ms?)") !=
          std::string::npos);
    auto r9 = replace("role = \"monitor\"", "role = \"watcher\"");
    CHECK(r9.error().message.find("role = \"watcher\" (accepted: broker, command, query, monitor, gateway)") !=
          std::string::npos);
    auto r10 = replace("name = \"query-2\"", "name = \"query-1\"");
    CHECK(r10.error().message.find("two nodes are named query-1") != std::string::npos);
    auto r11 = replace("role = \"monitor\"", "role = \"query\"");
    CHECK(r11.error().message.find("unknown key console") != std::string::npos);  // a monitor's key
    std::string noMonitor = base;
    noMonitor.replace(noMonitor.find("role = \"monitor\""), 16, "role = \"query\"");
    noMonitor.erase(noMonitor.find("console = "), noMonitor.find('\n', noMonitor.find("console = ")) - noMonitor.find("console = ") + 1);
    auto r11b = parseConfig(noMonitor, "/etc/jupiter.toml");
    CHECK(r11b.error().message.find("no node has role = \"monitor\"") != std::string::npos);
    auto r12 = replace("name = \"query-1\"", "name = \"Query 1\"");
    CHECK(r12.error().message.find("name = \"Query 1\": use 1-40 of a-z") != std::string::npos);
    // A broker-only key on a query node is refused, naming the node.
    auto r13 = replace("name = \"query-2\"\nrole = \"query\"", "name = \"query-2\"\nrole = \"query\"\nevents_in = \"x\"");
    CHECK(r13.error().message.find("[[node]] query-2 (query): unknown key events_in") != std::string::npos);
    auto r14 = replace("io_threads = 1", "io_threads = 0");
    CHECK(r14.error().message.find("[gateway] io_threads must be an integer from 1 to 16") != std::string::npos);
    auto r15 = replace("io_threads = 1", "io_threads = 4");
    REQUIRE(r15.ok());
    CHECK(r15->gatewayIoThreads == 4);
    CHECK(parseConfig(base, "/etc/jupiter.toml")->gatewayIoThreads == 1);
}

TEST_CASE("config: a file written by an older jupiter up is refused with how to regenerate it") {
    const std::string old = R"(
[cluster]
dir = "/tmp/jx"
[broker]
endpoint = "tcp://127.0.0.1:7700"
[command]
endpoint = "tcp://127.0.0.1:7705"
[query-1]
endpoint = "tcp://127.0.0.1:7706"
)";
    auto r = parseConfig(old, "/tmp/jx/jupiter.toml");
    REQUIRE_FALSE(r.ok());
    const std::string& m = r.error().message;
    CHECK(m.find("older `jupiter up`") != std::string::npos);
    CHECK(m.find("mv /tmp/jx/jupiter.toml /tmp/jx/jupiter.toml.old") != std::string::npos);
    CHECK(m.find("jupiter up --dir /tmp/jx") != std::string::npos);
}

TEST_CASE("config: roles and test hooks are validated") {
    CHECK(parseRole("gateway") == Role::Gateway);
    CHECK_FALSE(parseRole("gateway-2").has_value());
    CHECK(roleName(Role::Query) == "query");
    std::string s = defaultConfigToml("/tmp/jx", 23000);
    const std::string at = "name = \"query-3\"\n";
    s.replace(s.find(at), at.size(), at + "drop_live_batches_every = 3\n");
    auto c = parseConfig(s, "");
    REQUIRE(c.ok());
    CHECK(c->node("query-3")->dropLiveBatchesEvery == 3);
    CHECK(c->node("query-2")->dropLiveBatchesEvery == 0);
    std::string bad = defaultConfigToml("/tmp/jx", 23000);
    const std::string gw = "name = \"gateway-1\"\n";
    bad.replace(bad.find(gw), gw.size(), gw + "drop_live_batches_every = 3\n");
    CHECK(parseConfig(bad, "").error().message.find("unknown key drop_live_batches_every") != std::string::npos);
    // The command nodes' hook: a stuck loop, for so many ms (0-60000), on command nodes only.
    std::string wedge = defaultConfigToml("/tmp/jx", 23000);
    const std::string cmd = "name = \"command-2\"\n";
    wedge.replace(wedge.find(cmd), cmd.size(), cmd + "wedge_loop_ms = 2000\n");
    auto w = parseConfig(wedge, "");
    REQUIRE(w.ok());
    CHECK(w->node("command-2")->wedgeLoopMs == 2000);
    CHECK(w->node("command-1")->wedgeLoopMs == 0);
    std::string tooLong = wedge;
    tooLong.replace(tooLong.find("wedge_loop_ms = 2000"), 20, "wedge_loop_ms = 600000");
    CHECK_FALSE(parseConfig(tooLong, "").ok());
    std::string onQuery = defaultConfigToml("/tmp/jx", 23000);
    onQuery.replace(onQuery.find(at), at.size(), at + "wedge_loop_ms = 2000\n");
    CHECK(parseConfig(onQuery, "").error().message.find("unknown key wedge_loop_ms") != std::string::npos);
}

TEST_CASE("config: security is curve by default - none only when every endpoint stays on this host") {
    auto c = parseConfig(defaultConfigToml("/tmp/jx", 23000), "/tmp/jx/jupiter.toml");
    REQUIRE(c.ok());
    CHECK(c->security == SecurityMode::Curve);
    CHECK(c->keysDir == "/tmp/jx/keys");

    auto withMode = [](const std::string& toml, const std::string& mode) {
        std::string t = toml;
        const std::string from = "mode = \"curve\"";
        t.replace(t.find(from), from.size(), fmt::format("mode = \"{}\"", mode));
        return t;
    };
    auto none = parseConfig(withMode(defaultConfigToml("/tmp/jx", 23000), "none"), "");
    REQUIRE(none.ok());
    CHECK(none->security == SecurityMode::None);

    // One endpoint on another host is enough to refuse it, and the message names it.
    std::string remote = withMode(defaultConfigToml("/tmp/jx", 23000), "none");
    const std::string gw = "tcp://127.0.0.1:23017";
    remote.replace(remote.find(gw), gw.size(), "tcp://10.0.0.7:23015");
    auto refused = parseConfig(remote, "");
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("tcp://10.0.0.7:23015") != std::string::npos);
    CHECK(refused.error().message.find("gateway") != std::string::npos);

    auto typo = parseConfig(withMode(defaultConfigToml("/tmp/jx", 23000), "plain"), "");
    REQUIRE_FALSE(typo.ok());
    CHECK(typo.error().message.find("accepted: curve, none") != std::string::npos);

    // Event batches are signed unless a benchmark's baseline says otherwise; a typo is refused.
    CHECK(c->signEvents);
    auto withSign = [](const std::string& value) {
        std::string t = defaultConfigToml("/tmp/jx", 23000);
        const std::string from = "sign_events = true";
        t.replace(t.find(from), from.size(), "sign_events = " + value);
        return parseConfig(t, "");
    };
    auto trusting = withSign("false");
    REQUIRE(trusting.ok());
    CHECK_FALSE(trusting->signEvents);
    auto quoted = withSign("\"no\"");
    REQUIRE_FALSE(quoted.ok());
    CHECK(quoted.error().message.find("sign_events must be true or false") != std::string::npos);

    CHECK(isLocalEndpoint("tcp://127.0.0.1:1"));
    CHECK(isLocalEndpoint("tcp://localhost:1"));
    CHECK(isLocalEndpoint("ipc:///tmp/x"));
    CHECK_FALSE(isLocalEndpoint("tcp://*:1"));
    CHECK_FALSE(isLocalEndpoint("tcp://192.168.1.2:1"));
}

TEST_CASE("config: several command nodes need etcd - its table is checked like the others") {
    const std::string base = defaultConfigToml("/tmp/jx", 23000);
    const auto at = base.find("[etcd]");
    REQUIRE(at != std::string::npos);
    const auto end = base.find("\n[", at + 1);
    auto noEtcd = parseConfig(base.substr(0, at) + base.substr(end + 1), "/etc/jupiter.toml");
    REQUIRE_FALSE(noEtcd.ok());
    CHECK(noEtcd.error().message.find("3 command nodes need an [etcd] table") != std::string::npos);
    std::string typo = base;
    typo.replace(typo.find("lease_ttl_s"), 11, "lease_ttl");
    auto bad = parseConfig(typo, "");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("unknown key lease_ttl (did you mean lease_ttl_s?)") != std::string::npos);
    std::string notUrl = base;
    notUrl.replace(notUrl.find("\"https://127.0.0.1:23019\""), 25, "\"127.0.0.1:23019\"");
    auto refused = parseConfig(notUrl, "");
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("https:// (or http://) URL") != std::string::npos);
    // With CurveZMQ on, etcd must be locked too: plain http is refused, naming the fix...
    std::string plain = base;
    for (auto p = plain.find("https://"); p != std::string::npos; p = plain.find("https://")) plain.replace(p, 8, "http://");
    auto open = parseConfig(plain, "");
    REQUIRE_FALSE(open.ok());
    CHECK(open.error().message.find("must be locked") != std::string::npos);
    // ...and accepted with security none (loopback only); mixed schemes never.
    std::string none = plain;
    none.replace(none.find("mode = \"curve\""), 14, "mode = \"none\"");
    auto relaxed = parseConfig(none, "");
    INFO((relaxed.ok() ? std::string() : relaxed.error().message));
    CHECK(relaxed.ok());
    std::string mixed = base;
    mixed.replace(mixed.find("https://127.0.0.1:23021"), 8, "http://");
    auto mix = parseConfig(mixed, "");
    REQUIRE_FALSE(mix.ok());
    CHECK(mix.error().message.find("all be https:// or all http://") != std::string::npos);
    // Files and user may be named; relative paths are in the keys folder.
    std::string named = base;
    named.replace(named.find("lease_ttl_s"), 0, "ca_file = \"/etc/etcd/ca.pem\"\nuser = \"jup\"\npassword_file = \"pw\"\n");
    auto n = parseConfig(named, "");
    REQUIRE(n.ok());
    CHECK(n->etcd.caFile == "/etc/etcd/ca.pem");
    CHECK(n->etcd.user == "jup");
    CHECK(n->etcd.passwordFile == n->keysDir / "pw");
}

TEST_CASE("config: a lab network puts every node and etcd member at its own address and namespace") {
    ConfigTemplate t;
    t.dir = "/tmp/jx";
    t.basePort = 23000;
    t.labSubnet = 7;
    auto c = parseConfig(defaultConfigToml(t), "");
    INFO((c.ok() ? std::string() : c.error().message));
    REQUIRE(c.ok());
    CHECK(c->netlab.enabled());
    CHECK(c->netlab.bridge == "jbr23000");
    CHECK(c->netlab.address == "10.201.7.1/24");
    // Nodes in start order from .10, each bound to its own address; ports stay as in the default.
    CHECK(c->node("broker-1")->endpoint == "tcp://10.201.7.10:23000");
    CHECK(c->node("broker-1")->channel(BrokerChannel::EventsOut).connect == "tcp://10.201.7.10:23004");
    CHECK(c->node("broker-1")->netns == "jup23000-broker-1");
    CHECK(c->node("broker-2")->endpoint == "tcp://10.201.7.11:23005");
    CHECK(c->node("command-1")->endpoint == "tcp://10.201.7.12:23010");
    CHECK(c->node("gateway-2")->endpoint == "tcp://10.201.7.20:23018");
    CHECK(c->node("gateway-2")->metrics == "10.201.7.20:23035");
    CHECK(c->node("gateway-2")->netns == "jup23000-gateway-2");
    CHECK(c->etcd.endpoints ==
          std::vector<std::string>{"https://10.201.7.200:23019", "https://10.201.7.201:23021", "https://10.201.7.202:23023"});
    CHECK(c->etcd.netns == std::vector<std::string>{"jup23000-etcd-1", "jup23000-etcd-2", "jup23000-etcd-3"});
    // Without one, nothing of it appears.
    auto plain = parseConfig(defaultConfigToml("/tmp/jx", 23000), "");
    REQUIRE(plain.ok());
    CHECK_FALSE(plain->netlab.enabled());
    CHECK(plain->node("query-1")->netns.empty());
    CHECK(plain->etcd.netns.empty());

    const std::string text = defaultConfigToml(t);
    std::string badAddress = text;
    badAddress.replace(badAddress.find("10.201.7.1/24"), 13, "10.201.7.1");
    auto refused = parseConfig(badAddress, "");
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("[netlab] address") != std::string::npos);
    std::string badNetns = text;
    badNetns.replace(badNetns.find("\"jup23000-query-1\""), 18, "\"../etc\"");
    refused = parseConfig(badNetns, "");
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("netns") != std::string::npos);
    std::string shortEtcd = text;
    shortEtcd.replace(shortEtcd.find(", \"jup23000-etcd-3\""), 19, "");
    refused = parseConfig(shortEtcd, "");
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("one network namespace name") != std::string::npos);
}
