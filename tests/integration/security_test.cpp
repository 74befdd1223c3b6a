// Security with real daemons (CurveZMQ is on by default): what an outsider, a compromised node
// and each client role can and cannot do. The outsiders here build their sockets by hand, as an
// attacker with nothing but the schemas would.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "bus/heartbeat.hpp"
#include "checks.hpp"
#include "cluster.hpp"
#include "intruder.hpp"
#include "security/certificate.hpp"
#include "node/links.hpp"
#include "common/paths.hpp"
#include "client/client.hpp"
#include "common/zmq_util.hpp"

// Every case here is a scenario (in every CI run) unless it says soak (scripts/soak.sh).
TEST_SUITE_BEGIN("scenario");

using namespace jupiter;
using namespace jupiter::testing;

namespace {

std::string forgedHeartbeat(const std::string& node) {
    Heartbeat hb;
    hb.node = node;
    hb.role = Role::Query;
    hb.pid = 1;
    hb.seq = 0;
    return encodeEnvelope(heartbeatEnvelope(hb));
}

Doc monitorRow(Cluster& c, const std::string& node) {
    auto r = c.client("monitor").call(makeRequest(Kind::Control, "status", Doc::object()), Millis(2000), 3);
    REQUIRE(r.ok());
    for (const auto& row : r->body["nodes"])
        if (row["node"] == node) return row;
    FAIL("no row for " << node);
    return {};
}

}  // namespace

TEST_CASE("security: without a key or with an unknown one - a forged event, a rogue command backend and forged "
          "heartbeats achieve nothing") {
    Cluster c;
    const ForgedBatch forged = forgeNextEvent(c, 1);
    const uint64_t head = pong(c, "command")["seq"].get<uint64_t>();

    for (Guise g : {Guise::NoKey, Guise::UnknownKey}) {
        INFO("guise " << static_cast<int>(g));
        auto pub = outsider(c, zmq::socket_type::pub, brokerChannel(c, BrokerChannel::EventsIn), brokerName(c), g);
        auto rogue = outsider(c, zmq::socket_type::dealer, brokerChannel(c, BrokerChannel::CommandBackend),
                              brokerName(c), g);
        publishRepeatedly(pub, {std::string(kEventsTopic), forged.envelope, forged.realSignature}, Millis(600));
        publishRepeatedly(pub, {"hb.query-3", forgedHeartbeat("query-3")}, Millis(600));
        // Commands keep flowing to the real command node; the rogue is handed none of them.
        uint64_t last = 0;
        for (int i = 0; i < 10; ++i) last = newSeller(c, 100 + i + (g == Guise::NoKey ? 0 : 50));
        zmq::pollitem_t item{rogue.handle(), 0, ZMQ_POLLIN, 0};
        CHECK(zmq::poll(&item, 1, Millis(300)) == 0);
        CHECK(last > head);
        CHECK(monitorRow(c, "query-3")["pid"].get<int>() == c.pid("query-3"));
    }
    requireUntouched(c, pong(c, "command")["seq"].get<uint64_t>());
    // The stranger's handshakes were refused and counted.
    CHECK(pong(c, brokerName(c))["refused"]["handshakes"].get<uint64_t>() >= 2);
}

TEST_CASE("security: a query node's own key cannot publish events or another node's heartbeat - nor take the "
          "command backend") {
    Cluster c;
    const ForgedBatch forged = forgeNextEvent(c, 2);
    auto pub = outsider(c, zmq::socket_type::pub, brokerChannel(c, BrokerChannel::EventsIn), brokerName(c),
                        Guise::StolenNodeKey, "query-1");
    auto rogue = outsider(c, zmq::socket_type::dealer, brokerChannel(c, BrokerChannel::CommandBackend), brokerName(c),
                          Guise::StolenNodeKey, "query-1");
    publishRepeatedly(pub, {std::string(kEventsTopic), forged.envelope, forged.realSignature}, Millis(600));
    publishRepeatedly(pub, {"hb.query-3", forgedHeartbeat("query-3")}, Millis(600));
    for (int i = 0; i < 10; ++i) newSeller(c, 200 + i);
    zmq::pollitem_t item{rogue.handle(), 0, ZMQ_POLLIN, 0};
    CHECK(zmq::poll(&item, 1, Millis(300)) == 0);
    CHECK(monitorRow(c, "query-3")["pid"].get<int>() == c.pid("query-3"));
    requireUntouched(c, pong(c, "command")["seq"].get<uint64_t>());
    const Doc refused = pong(c, brokerName(c))["refused"];
    INFO(refused.dump());
    CHECK(refused["messages"].get<uint64_t>() >= 2);    // the event and the heartbeat, each dropped
    CHECK(refused["handshakes"].get<uint64_t>() >= 1);  // a query node may not connect to the command backend
    CHECK(findLine(c.logLines(brokerName(c)), {"refused", "query-1"}) >= 0);
}

TEST_CASE("security: a reader's command is forbidden - a writer's is applied - a revoked client is refused on its "
          "open connection, without a restart") {
    Cluster c;
    REQUIRE(c.cli("client add rita --role reader").exitCode == 0);
    REQUIRE(c.cli("client add walt --role writer").exitCode == 0);
    Client reader(c.ctx(), c.keysOf("rita"), c.endpoint(c.first(Role::Gateway)));
    Client writer(c.ctx(), c.keysOf("walt"), c.endpoint(c.first(Role::Gateway)));
    const Doc seller = {{"first_name", "W"}, {"last_name", "X"}, {"doc_type", "CEDULA"}, {"doc_number", "77"},
                        {"phone", "1"}};
    // The daemons pick the new keys up from the folder (they check twice a second), perhaps one key
    // at a time: each client retries (on a fresh connection after a refusal) until it is served.
    for (Client* cl : {&reader, &writer}) {
        Result<Envelope> q = makeError("none", "");
        REQUIRE(Cluster::waitFor([&] {
            q = cl->call(makeRequest(Kind::Query, "sellers.list", Doc::object()), Millis(1000), 1);
            return q.ok() && q->kind == Kind::Reply;
        }, Millis(10000)));
    }
    auto refused = reader.call(makeRequest(Kind::Command, "seller.create", seller), Millis(3000), 2);
    REQUIRE(refused.ok());
    CHECK(refused->kind == Kind::Error);
    CHECK(refused->body["code"] == "forbidden");
    CHECK(refused->body["message"].get<std::string>().find("writer or admin") != std::string::npos);
    auto applied = writer.call(makeRequest(Kind::Command, "seller.create", seller), Millis(3000), 2);
    INFO((applied.ok() ? applied->body.dump() : applied.error().message));
    REQUIRE(applied.ok());
    CHECK(applied->kind == Kind::Reply);
    // A reader may not ask a replica for its digest (admin only).
    // (query-1 too reads the new keys by itself, perhaps a moment after the gateway did.)
    Client direct(c.ctx(), c.keysOf("rita"), c.endpoint("query-1"));
    Result<Envelope> digest = makeError("none", "");
    REQUIRE(Cluster::waitFor([&] {
        digest = direct.call(makeRequest(Kind::Control, "digest", Doc::object()), Millis(1000), 1);
        return digest.ok();
    }, Millis(10000)));
    CHECK(digest->body["code"] == "forbidden");

    REQUIRE(c.cli("client revoke walt").exitCode == 0);
    Result<Envelope> after = makeError("none", "");
    std::string lastAnswer;  // shown if the revocation is never seen
    INFO("last answer after the revocation: ", lastAnswer);
    const bool revoked = Cluster::waitFor([&] {
        after = writer.call(makeRequest(Kind::Command, "seller.create", seller), Millis(1000), 1);
        lastAnswer = after.ok() ? after->body.dump() : after.error().code + ": " + after.error().message;
        return after.ok() && after->kind == Kind::Error && after->body["code"] == "forbidden";
    }, Millis(10000));
    if (!revoked) {  // when the gateway read its keys folder, read once the wait is over
        std::string gatewayKeys;
        for (const auto& line : c.logLines(c.first(Role::Gateway)))
            if (line.find("keys") != std::string::npos) gatewayKeys += "\n  " + line;
        INFO("the gateway's key lines: ", gatewayKeys);
        REQUIRE(revoked);
    }
    CHECK(after->body["message"].get<std::string>().find("no longer") != std::string::npos);
    CHECK(c.cli("client list").output.find("walt") == std::string::npos);
}

TEST_CASE("security: a client with an unknown key is told so with exit code 4 - not a timeout") {
    Cluster c;
    const auto stranger = c.dir() / "stranger";
    REQUIRE(createCertificate(stranger, "eve", {{"role", "admin"}}).ok());
    const auto key = secretCertificatePath(stranger, "eve").string();
    auto r = c.cli(fmt::format("--key {} query sellers.list", key));
    INFO(r.output);
    CHECK(r.exitCode == 4);
    CHECK(r.output.find("refused this client's key") != std::string::npos);
    CHECK(r.output.find(key) != std::string::npos);
    // The secret itself appears nowhere in what the CLI printed.
    auto pair = loadSecretCertificate(key);
    REQUIRE(pair.ok());
    CHECK(r.output.find(pair->secretKey) == std::string::npos);
}

TEST_CASE("security: everything under DIR is private (0700/0600) - a secret key or a data folder others can read "
          "stops the daemon, naming the chmod") {
    Cluster c;
    // What `jupiter up` and the daemons created: folders, keys, RocksDB files, logs, pidfiles, etcd's data.
    int seen = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(c.dir())) {
        if (entry.is_symlink()) continue;
        INFO(entry.path().string());
        CHECK((entry.status().permissions() & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) ==
              std::filesystem::perms::none);
        ++seen;
    }
    CHECK(seen > 50);
    killNine(c, "query-2");
    REQUIRE(chmod(c.dir().c_str(), 0755) == 0);
    auto open = c.cli("start query-2");
    INFO(open.output);
    CHECK(open.exitCode != 0);
    CHECK(open.output.find(fmt::format("chmod 700 {}", c.dir().string())) != std::string::npos);
    REQUIRE(chmod(c.dir().c_str(), 0700) == 0);
    const auto secret = secretCertificatePath(c.config().keysDir, "query-2");
    REQUIRE(chmod(secret.c_str(), 0644) == 0);
    auto r = c.cli("start query-2");
    INFO(r.output);
    CHECK(r.exitCode != 0);
    CHECK(r.output.find(secret.string()) != std::string::npos);
    CHECK(r.output.find("chmod 600") != std::string::npos);
    REQUIRE(chmod(secret.c_str(), 0600) == 0);
    CHECK(c.cli("start query-2").exitCode == 0);
}

TEST_CASE("security: a flood of idle connections that exhausts descriptors leaves the daemon running - logged - "
          "and serving again once they go") {
    Cluster c;
    killNine(c, "query-2");
    // query-2 again, with a hard limit on open files low enough to reach with a few hundred sockets.
    auto started = runShell(fmt::format("prlimit --nofile=128:128 '{}/jupiter-query' --config '{}' --node query-2 --daemon",
                                        JUPITER_BIN_DIR, clusterConfigPath(c.dir()).string()));
    REQUIRE(started.exitCode == 0);
    REQUIRE(Cluster::waitFor([&] { return pong(c, "query-2")["node"] == "query-2"; }, Millis(10000)));
    CHECK(findLine(c.logLines("query-2"), {"open files up to 128"}) >= 0);

    const std::string ep = c.endpoint("query-2");
    const int port = std::stoi(ep.substr(ep.rfind(':') + 1));
    // Non-blocking connects: once the listen backlog is full the kernel stops completing them,
    // which is flood enough; the daemon holds the rest of its descriptors.
    std::vector<int> flood;
    for (int i = 0; i < 300; ++i) {
        const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        REQUIRE(fd >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<uint16_t>(port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);  // EINPROGRESS is expected
        flood.push_back(fd);
    }
    REQUIRE(Cluster::waitFor([&] { return findLine(c.logLines("query-2"), {"cannot accept a connection"}) >= 0; },
                             Millis(10000)));
    CHECK(kill(c.pid("query-2"), 0) == 0);
    for (int fd : flood) close(fd);
    // Serving again: a fresh client's query is answered.
    Result<Envelope> q = makeError("none", "");
    REQUIRE(Cluster::waitFor([&] {
        q = c.client("query-2").call(makeRequest(Kind::Query, "sellers.list", Doc::object()), Millis(1000), 1);
        return q.ok() && q->kind == Kind::Reply;
    }, Millis(30000)));
    // (That the log line is rate-limited is gatekeeper_test's, with a manual clock.)
}

TEST_CASE("security: one address holds at most max_connections_per_peer connections on a socket - one more is closed "
          "at once, counted and logged - and gets in when another leaves") {
    const int kLimit = 6;
    Cluster c(Layout{1, 1, 1, 1, 1}, [kLimit](std::string toml) {
        const std::string at = "max_connections_per_peer = 512";
        return toml.replace(toml.find(at), at.size(), fmt::format("max_connections_per_peer = {}", kLimit));
    });
    // Clients of the gateway from 127.0.0.2 (libzmq's "source;destination" endpoint), one
    // connection each, until one is not let in. The monitor pings from 127.0.0.1: another address,
    // whose slots these clients must not take (its ping socket reconnects after a slow answer, and
    // would be shut out if it shared their address).
    const std::string gateway = c.endpoint("gateway");
    const std::string fromElsewhere = "tcp://127.0.0.2:0;" + gateway.substr(std::string("tcp://").size());
    const Envelope ping = makeRequest(Kind::Control, "ping", Doc::object());
    std::vector<std::unique_ptr<Client>> in;
    std::unique_ptr<Client> extra;
    for (int i = 0; i <= kLimit && !extra; ++i) {
        auto client = std::make_unique<Client>(c.ctx(), c.credentials(), fromElsewhere);
        if (client->call(ping, Millis(1500), 1).ok()) in.push_back(std::move(client));
        else extra = std::move(client);
    }
    REQUIRE(extra);
    CHECK(in.size() == static_cast<std::size_t>(kLimit));
    // It keeps knocking (libzmq reconnects) and is shut out each time, while those in are served.
    CHECK_FALSE(extra->call(ping, Millis(500), 2).ok());
    auto answer = in.front()->call(ping, Millis(2000), 3);
    REQUIRE(answer.ok());
    CHECK(answer->body["refused"]["handshakes"].get<uint64_t>() >= 1);
    CHECK(findLine(c.logLines("gateway"), {"refused a connection", "from 127.0.0.2", "max_connections_per_peer"}) >= 0);
    // One leaves: the one waiting gets in on its next try.
    in.pop_back();
    CHECK(extra->call(ping, Millis(1000), 10).ok());
    // The gateway served queries all along, and the monitor never lost it.
    auto q = in.front()->call(makeRequest(Kind::Query, "sellers.list", Doc::object()), Millis(2000), 3);
    REQUIRE(q.ok());
    CHECK(q->kind == Kind::Reply);
    // (From its first UP: a monitor that starts first may say DOWN of a gateway still starting.)
    const auto transitions = c.transitions();
    const long up = findLine(transitions, {"gateway UP"});
    REQUIRE(up >= 0);
    CHECK(findLine(transitions, {"gateway", "DOWN"}, up + 1) < 0);
}

TEST_CASE("security: mode none on loopback - no keys anywhere - commands (on a leader and standbys) and queries work") {
    // The default layout: a command is acknowledged only once a standby has fetched it, so the
    // standbys' fetches (a command node's own action) must pass in mode none too. etcd over plain
    // http too (accepted only with mode none): no certificates either.
    Cluster c(Layout{}, [](std::string toml) {
        const std::string curve = "mode = \"curve\"";
        toml.replace(toml.find(curve), curve.size(), "mode = \"none\"");
        for (auto at = toml.find("https://"); at != std::string::npos; at = toml.find("https://"))
            toml.replace(at, 8, "http://");
        return toml;
    });
    CHECK_FALSE(std::filesystem::exists(c.config().keysDir));
    CHECK(newSeller(c, 1) >= 1);
    // Asked of replica 2 at the product's own sequence: an earlier one may find it not there yet.
    auto product = c.send("product.create", {{"code", "NONE"}, {"description", "no keys"}, {"price", 1}});
    REQUIRE(product.ok());
    REQUIRE(product->kind == Kind::Reply);
    CHECK(stockOn(c, product->body["id"].get<uint64_t>(), 2, product->body["seq"].get<uint64_t>()) == 0);
    requireConverged(c);
}

TEST_SUITE_END();
