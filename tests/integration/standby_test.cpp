// Three command nodes (a leader and two standbys, leadership from a local three-member etcd):
// kill -9 of the leader under load, a stopped leader (replaced before its lease lapses) and briefly
// paused ones, a wedged leader loop, lost standbys and a lost etcd member, a standby that is behind
// when the leader dies, and etcd locked against anyone without the cluster's certificate and user.
// Real processes; outcomes only.
#include <algorithm>

#include <doctest/doctest.h>

#include <signal.h>

#include <thread>

#include <fmt/format.h>

#include "checks.hpp"
#include "cluster.hpp"
#include "election/etcd_lock.hpp"
#include "election/etcd_pki.hpp"
#include "load.hpp"

// Every case here is a scenario (in every CI run) unless it says soak (scripts/soak.sh).
TEST_SUITE_BEGIN("scenario");

using namespace jupiter;
using namespace jupiter::testing;

namespace {

Layout threeCommandNodes() { return Layout{}; }  // the default

std::vector<std::string> standbysOf(Cluster& c, const std::string& leader) {
    std::vector<std::string> out;
    for (const auto* n : c.config().nodesWith(Role::Command))
        if (n->name != leader) out.push_back(n->name);
    return out;
}

// The monitor's lines judging a node other than `killed` DOWN for missing heartbeats: on this 2-core
// machine under load, a daemon starved of CPU for 300 ms now and then, which is by design the same
// as a stopped one (a SIGSTOP is detected in 350 ms).
std::vector<std::string> starvedNodes(const Cluster& c, const std::vector<std::string>& killed) {
    std::vector<std::string> starved;
    for (const auto& line : c.transitions()) {
        if (line.find("DOWN (no heartbeat") == std::string::npos) continue;
        for (const auto& n : c.config().nodes)
            if (line.find(" " + n.name + " DOWN") != std::string::npos &&
                std::find(killed.begin(), killed.end(), n.name) == killed.end())
                starved.push_back(line);
    }
    return starved;
}

}  // namespace

TEST_CASE("standby command nodes: kill -9 of the leader mid-burst, three times - nothing lost or doubled, converged"
          * doctest::test_suite("heavy")) {
    // Heavy, not run sanitized: three leader kills under 16 clients: starved.
    Cluster c(threeCommandNodes());
    const uint64_t product = createProduct(c);
    QueryLoad queries(c.ctx(), c.credentials(), c.gateways(), 2);
    // The load is finished only after the third kill: a burst of fixed size once ended before it
    // (a fast takeover and a slow restart, twice: "8000 of 8000 acknowledged at the kill"). Its size
    // is room, not a target; exactly once is checked on the commands it sent.
    CommandLoad load(c.ctx(), c.credentials(), c.gateways(), product, 16, 1000000);
    for (uint64_t round = 1; round <= 3; ++round) {
        const uint64_t killAt = 1600 * round;  // each once the last restart is done
        REQUIRE(Cluster::waitFor([&] { return load.acked() > killAt; }, Millis(60000)));
        const std::string leader = leaderOf(c);
        const uint64_t before = load.acked();
        INFO("round " << round << ": " << before << " acknowledged at the kill");
        killNine(c, leader);
        // Another command node takes over and commands resume while the old leader is down.
        const std::string next = leaderOf(c, Millis(15000), leader);
        REQUIRE(Cluster::waitFor([&] { return load.acked() >= before + 200; }, Millis(30000)));
        restart(c, leader);
        CHECK(next != leader);
    }
    // Past the last restart the load goes on for a while, then what is under way completes.
    finishAfterProgress(load, 1600);
    CHECK(load.abandoned() == 0);
    requireExactlyOnce(c, product, load, load.started());
    requireNoFailedQueries(queries);
    requireConverged(c);  // leader, both standbys and every replica at one sequence and digest
    // The monitor logged each new leader with its epoch.
    CHECK(findLine(c.transitions(), {"command-", "LEADER", "(epoch"}) >= 0);
}

TEST_CASE("standby command nodes: a stopped leader is replaced before its lease lapses, comes back as a standby and "
          "writes nothing - leaders paused briefly, three times: nothing lost or doubled") {
    Cluster c(threeCommandNodes());
    const uint64_t product = createProduct(c);
    const std::string zombie = leaderOf(c);
    const int pid = c.pid(zombie);
    CommandLoad load(c.ctx(), c.credentials(), c.gateways(), product, 8, 6000);
    REQUIRE(Cluster::waitFor([&] { return load.acked() > 300; }, Millis(60000)));
    REQUIRE(kill(pid, SIGSTOP) == 0);
    // Clients keep writing through the new leader while the old one sleeps.
    const std::string next = leaderOf(c, Millis(15000), zombie);
    requireProgress(load, 300, Millis(30000));
    REQUIRE(kill(pid, SIGCONT) == 0);
    // It notices that its lease is gone, steps down and follows the new leader's history.
    REQUIRE(Cluster::waitFor([&] { return standingOf(c, zombie) == "standby"; }, Millis(10000)));
    CHECK(findLine(c.logLines(zombie), {"no longer the leader"}) >= 0);
    CHECK(standingOf(c, next) == "leader");
    // A standby saw its fetch go unanswered and had the lease ended, instead of waiting for it to lapse.
    int suspected = 0;
    for (const auto& n : standbysOf(c, zombie))
        if (findLine(c.logLines(n), {"has not answered our fetch", "asking etcd to end its lease now"}) >= 0) ++suspected;
    CHECK(suspected >= 1);
    // Leaders paused for about the time it takes to replace them, then resumed: the race between a
    // resumed leader whose lease window may still be open and its successor (the fence's case).
    for (int round = 0; round < 3; ++round) {
        const std::string leader = leaderOf(c);
        const int p = c.pid(leader);
        REQUIRE(kill(p, SIGSTOP) == 0);
        std::this_thread::sleep_for(Millis(600 + 150 * round));
        REQUIRE(kill(p, SIGCONT) == 0);
        requireProgress(load, 100, Millis(30000));
    }
    // The faults are over: what is under way completes, the rest is not sent (a sanitized cluster
    // took a minute for it).
    load.finish();
    requireExactlyOnce(c, product, load, load.started());
    requireConverged(c);  // the old leaders' stores included
}

TEST_CASE("standby command nodes: a lost standby and etcd member go unnoticed - with no standby commands are refused"
          * doctest::test_suite("heavy")) {
    // Heavy, not run sanitized: thousands of commands around faults covered elsewhere: time.
    // "Unnoticed" is checked in a trial where nothing else happened: a surviving node starved of CPU
    // (seen in the monitor's log) is a second fault, and a leader change or a refused command is then
    // right. Such a trial is run again, three at most: a loss that is noticed fails every trial.
    constexpr int kTrials = 3;
    for (int trial = 1; trial <= kTrials; ++trial) {
        Cluster c(threeCommandNodes(), [](std::string toml) {
            const std::string at = "client_timeout_ms = 10000";
            return toml.replace(toml.find(at), at.size(), "client_timeout_ms = 3000");
        });
        const uint64_t product = createProduct(c);
        const std::string leader = leaderOf(c);
        const auto standbys = standbysOf(c, leader);
        {
            QueryLoad queries(c.ctx(), c.credentials(), c.gateways(), 2);
            CommandLoad load(c.ctx(), c.credentials(), c.gateways(), product, 8, 3000);
            REQUIRE(Cluster::waitFor([&] { return load.acked() > 500; }, Millis(60000)));
            killNine(c, standbys[0]);
            killNine(c, "etcd-2");
            load.wait();
            // Whatever else happened, nothing is lost, doubled or failed.
            CHECK(load.abandoned() == 0);
            requireExactlyOnce(c, product, load, 3000);
            requireNoFailedQueries(queries);
            const auto starved = starvedNodes(c, {standbys[0]});
            if (!starved.empty() && trial < kTrials) {
                MESSAGE("trial " << trial << ": a surviving node was starved of CPU (" << starved.front()
                                 << "); running it again");
                continue;
            }
            INFO("starved nodes: " << starved.size());
            CHECK(load.resends() == 0);  // no command even needed a second try
            CHECK(standingOf(c, leader) == "leader");
        }
        // Both standbys gone: a command could not be on two command nodes, so it is refused, saying why.
        killNine(c, standbys[1]);
        auto refused = c.send("stock.receive", {{"product", product}, {"quantity", 1}}, "t-refused-1");
        REQUIRE(refused.ok());
        CHECK(refused->kind == Kind::Error);
        CHECK(refused->body.value("code", "") == "unavailable");
        const std::string why = refused->body.value("message", "");
        INFO(why);
        CHECK(why.find("standby") != std::string::npos);
        CHECK(why.find(standbys[0]) != std::string::npos);
        // A standby returns: commands go through again, by themselves.
        restart(c, standbys[1]);
        Result<Envelope> ok = makeError("none", "not sent");
        REQUIRE(Cluster::waitFor(
            [&] {
                ok = c.send("stock.receive", {{"product", product}, {"quantity", 1}}, "t-after-1");
                return ok && ok->kind == Kind::Reply;
            },
            Millis(30000)));
        restart(c, standbys[0]);
        CHECK(c.cli("start etcd-2").exitCode == 0);
        requireConverged(c);
        break;
    }
}

TEST_CASE("standby command nodes: a standby that is behind catches up before it can lead" * doctest::test_suite("soak")) {
    Cluster c(threeCommandNodes());
    const uint64_t product = createProduct(c);
    const std::string leader = leaderOf(c);
    const auto standbys = standbysOf(c, leader);
    const std::string behind = standbys[0], current = standbys[1];
    killNine(c, behind);
    {
        CommandLoad load(c.ctx(), c.credentials(), c.gateways(), product, 16, 3000);
        load.wait();
        CHECK(load.abandoned() == 0);
    }
    // The leader dies too. The one standby left cannot know that it holds every acknowledged
    // command (the other might hold one it lacks), so it does not take over alone...
    const long seen = static_cast<long>(c.logLines(current).size());
    killNine(c, leader);
    // Once the leader's key lapses, it says why it does not take over.
    CHECK(Cluster::waitFor([&] { return findLine(c.logLines(current), {"too many are silent"}, seen) >= 0; },
                           Millis(15000)));
    CHECK(standingOf(c, current) != "leader");
    // ...until the other comes back, 3000 commands behind: the one that is ahead leads.
    restart(c, behind);
    const std::string next = leaderOf(c, Millis(15000), leader);
    CHECK(next == current);
    auto r = c.send("stock.receive", {{"product", product}, {"quantity", 1}});
    REQUIRE(r.ok());
    CHECK(r->kind == Kind::Reply);
    restart(c, leader);
    requireConverged(c);
    CHECK(stockOn(c, product, 1, r->body.value("seq", uint64_t{0})) == 3001);
}

TEST_CASE("standby command nodes: etcd is locked - the probe's PUT of the leader key is refused and writes go on - an "
          "operator's delete makes the leader step down at once") {
    Cluster c(threeCommandNodes());
    const uint64_t product = createProduct(c);
    const std::string leader = leaderOf(c);
    const EtcdConfig& etcd = c.config().etcd;
    REQUIRE(etcd.tls());
    auto jupiter = etcdCredentials(etcd);
    REQUIRE(jupiter.ok());
    EtcdClient reader(etcd.endpoints, Millis(2000), *jupiter);
    auto before = reader.get(etcd.key);
    REQUIRE(before.ok());
    REQUIRE(before->has_value());
    CHECK((*before)->value == leader);

    // The finding: one PUT of the leader key naming a node that does not exist stopped every write.
    // Without a certificate of the cluster's CA, or with one but not as Jupiter's user, etcd refuses it.
    const Doc put = {{"key", base64Encode(etcd.key)}, {"value", base64Encode("command-9")}};
    for (const EtcdCredentials& outsider : {EtcdCredentials{}, EtcdCredentials{jupiter->caFile, "", "", "", ""},
                                           EtcdCredentials{jupiter->caFile, jupiter->certFile, jupiter->keyFile, "", ""}}) {
        EtcdClient probe(etcd.endpoints, Millis(2000), outsider);
        CHECK_FALSE(probe.call("/v3/kv/put", put).ok());
        CHECK_FALSE(probe.call("/v3/kv/deleterange", {{"key", base64Encode(etcd.key)}}).ok());
    }
    auto r = c.send("stock.receive", {{"product", product}, {"quantity", 1}});
    REQUIRE(r.ok());
    CHECK(r->kind == Kind::Reply);
    CHECK(standingOf(c, leader) == "leader");
    auto after = reader.get(etcd.key);
    REQUIRE(after.ok());
    REQUIRE(after->has_value());
    CHECK((*after)->createRevision == (*before)->createRevision);

    // The operator (etcd's root, password in the keys folder) deletes the key: the leader steps down
    // at once and a leader of a new epoch takes the writes.
    auto root = etcdRootCredentials(etcd, etcdFilesIn(c.config().keysDir).rootPassword);
    REQUIRE(root.ok());
    EtcdClient op(etcd.endpoints, Millis(2000), *root);
    REQUIRE(op.call("/v3/kv/deleterange", {{"key", base64Encode(etcd.key)}}).ok());
    CHECK(Cluster::waitFor([&] { return findLine(c.logLines(leader), {"no longer ours"}) >= 0; }, Millis(10000)));
    Result<Envelope> next = makeError("none", "not sent");
    REQUIRE(Cluster::waitFor(
        [&] {
            next = c.send("stock.receive", {{"product", product}, {"quantity", 1}});
            return next && next->kind == Kind::Reply;
        },
        Millis(15000)));
    auto now = reader.get(etcd.key);
    REQUIRE(now.ok());
    REQUIRE(now->has_value());
    CHECK((*now)->createRevision > (*before)->createRevision);
    CHECK(stockOn(c, product, 1, next->body.value("seq", uint64_t{0})) == 2);
    requireConverged(c);
}

namespace {

// Every command node answers as leader or standby, and the leader's wedge hook is spent (its
// loop stopped and ran again), so no loop stops any more while the cluster is verified.
bool settledAfterWedges(Cluster& c) {
    std::string leader;
    for (const auto* n : c.config().nodesWith(Role::Command)) {
        const auto s = standingOf(c, n->name);
        if (s == "leader") leader = n->name;
        else if (s != "standby") return false;
    }
    return !leader.empty() && findLine(c.logLines(leader), {"the event loop runs again"}) >= 0;
}

}  // namespace

TEST_CASE("standby command nodes: a leader whose event loop is stuck steps down - another leads, every acknowledged "
          "command once - and it follows once its loop runs again" * doctest::test_suite("heavy")) {
    // Heavy, not run sanitized: a chain of leaders wedged 2 s each: a sanitized cluster on 2 cores once found no
    // leader within 15 s (1 of 8 runs); the elector's wedge rule runs sanitized in elector_core_test.
    // Every command node has the hook (whichever leads first): once it has led a second, its loop
    // stops for 2 s, once - so the next leader's loop stops too, and the load outlives both.
    auto hooks = [](std::string toml) {
        for (const char* node : {"command-1", "command-2", "command-3"}) toml = withNodeKey(node, "wedge_loop_ms = 2000")(toml);
        return toml;
    };
    Cluster c(threeCommandNodes(), hooks);
    const uint64_t product = createProduct(c);
    const std::string first = leaderOf(c);
    CommandLoad load(c.ctx(), c.credentials(), c.gateways(), product, 4, 1000);
    REQUIRE(Cluster::waitFor([&] { return findLine(c.logLines(first), {"the event loop stops"}) >= 0; }, Millis(20000)));
    const auto stuck = std::chrono::steady_clock::now();
    // Another leads while the first is still stuck (its elector revoked the lease for it).
    const std::string next = leaderOf(c, Millis(15000), first);
    MESSAGE("another command node led " << std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - stuck).count()
                                         << " ms after the leader's loop stopped");
    load.wait();
    CHECK(load.abandoned() == 0);
    requireExactlyOnce(c, product, load, 1000);
    // Its loop ran again: it stepped down, and follows (or, its own hook spent, leads again later).
    REQUIRE(Cluster::waitFor([&] { return findLine(c.logLines(first), {"the event loop runs again"}) >= 0; },
                             Millis(10000)));
    // It stepped down when its loop ran again. Why depends on who ended its lease first: its own
    // elector (the loop was silent 500 ms), or a standby that found its fetches unanswered (400 ms)
    // and revoked it, so that its elector's next renewal found the lease gone. Both are the design;
    // the elector's own reason is unit-tested (election/etcd_test).
    CHECK(Cluster::waitFor([&] { return findLine(c.logLines(first), {"no longer the leader"}) >= 0; }, Millis(5000)));
    REQUIRE(Cluster::waitFor([&] { const auto s = standingOf(c, first); return s == "standby" || s == "leader"; },
                             Millis(15000)));
    // The chain ends once a node whose hook is spent leads: until then the leader of the moment
    // stops for 2 s after its first second, and a stopped node cannot answer verify.
    REQUIRE(Cluster::waitFor([&] { return settledAfterWedges(c); }, Millis(30000)));
    requireConverged(c);
}

TEST_SUITE_END();
