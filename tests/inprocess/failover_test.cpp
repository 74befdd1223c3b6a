// Failover without a process boundary to cross: what the gateways do when every replica, every
// broker or the monitor is gone, and the spread routing, with the daemon classes in one process on
// a manual clock (harness.hpp). Faults a process shows (kill -9, SIGSTOP, ports) stay scenarios in
// tests/integration/failover_test.cpp.
#include <algorithm>
#include <map>
#include <thread>

#include <doctest/doctest.h>

#include "inprocess/harness.hpp"
#include "tests/text.hpp"

TEST_SUITE_BEGIN("inprocess");

using namespace jupiter;
using jupiter::testing::InProcessCluster;

namespace {

Layout oneCommandNode() {
    Layout l;
    l.commands = 1;  // three replicas, two brokers, two gateways, a monitor: the default otherwise
    return l;
}

Envelope inventoryQuery() { return makeRequest(Kind::Query, "inventory.value", Doc::object()); }

bool inLog(const std::vector<std::string>& lines, const std::string& what) { return jupiter::testing::countLines(lines, what) > 0; }

// Sends `n` queries to `gateway` at once and returns the answers, by the node that gave each.
std::map<std::string, int> burst(InProcessCluster& c, const std::string& gateway, int n, int* failed) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
        auto q = inventoryQuery();
        ids.push_back(q.id);
        c.send(gateway, q);
    }
    const auto answers = c.awaitAnswers(gateway, ids.size());
    REQUIRE(answers.size() >= ids.size());
    std::map<std::string, int> by;
    for (const auto& a : answers) {
        if (a.kind != Kind::Reply) ++*failed;
        by[a.node.value_or("?")]++;
    }
    return by;
}

}  // namespace

TEST_CASE("in-process failover: with every replica gone queries get a clear error - one back and they succeed") {
    InProcessCluster c(oneCommandNode());
    const std::string gw = c.nodes(Role::Gateway).front();
    for (const auto& r : c.nodes(Role::Query)) c.drop(r);
    REQUIRE(c.advanceUntil([&] { return inLog(c.transitions(), gw + " REROUTE query-1 -> none"); }, Millis(2000)));
    c.advance(Millis(500));
    // One REROUTE for replicas lost together, not a walk through each (the gateway judges every
    // loss it has read first), and none replayed by the second broker's late copies of the
    // gateway's heartbeats (the monitor takes each beat once).
    const auto lines = c.transitions();
    CHECK(std::count_if(lines.begin(), lines.end(), [&](const std::string& l) {
              return l.find(gw + " REROUTE") != std::string::npos;
          }) == 2);  // its first route, then none
    auto r = c.ask(gw, inventoryQuery());
    REQUIRE(r);
    REQUIRE(r->kind == Kind::Error);
    CHECK(r->body["code"] == "unavailable");
    const std::string msg = r->body["message"];
    CHECK(msg.find("no query replica available: query-1 DOWN since") == 0);

    c.restart("query-3");
    REQUIRE(c.advanceUntil([&] { return inLog(c.transitions(), gw + " REROUTE none -> query-3"); }, Millis(3000)));
    auto back = c.askUntilReply(gw, inventoryQuery);
    REQUIRE(back);
    CHECK(back->kind == Kind::Reply);
    CHECK(back->node == "query-3");
}

TEST_CASE("in-process failover: queries keep flowing with the monitor gone") {
    InProcessCluster c(oneCommandNode());
    const std::string gw = c.nodes(Role::Gateway).front();
    c.drop("monitor");
    int failed = 0;
    auto before = burst(c, gw, 20, &failed);
    CHECK(before["query-1"] == 20);
    c.drop("query-1");
    auto after = burst(c, gw, 20, &failed);
    CHECK(after["query-2"] == 20);
    CHECK(failed == 0);
}

TEST_CASE("in-process failover: a gateway started while every broker is down serves queries from its own pings") {
    InProcessCluster c(oneCommandNode());
    const std::string gw = c.nodes(Role::Gateway).front();
    c.drop(gw);
    for (const auto& b : c.nodes(Role::Broker)) c.drop(b);
    c.restart(gw);  // it has never heard a heartbeat: the replicas answer its pings over its own connections
    auto r = c.ask(gw, makeRequest(Kind::Query, "products.list", Doc::object()));
    REQUIRE(r);
    INFO(r->body.dump());
    CHECK(r->kind == Kind::Reply);
    CHECK(r->node == "query-1");
}

TEST_CASE("in-process failover: routing spread serves from every replica - one gone loses no query - back, it serves again") {
    InProcessCluster c(oneCommandNode(), [](std::string toml) {
        const std::string at = "routing = \"primary\"";
        return toml.replace(toml.find(at), at.size(), "routing = \"spread\"");
    });
    const std::string gw = c.nodes(Role::Gateway).front();
    CHECK(inLog(c.logLines(gw), "routing spread"));
    int failed = 0;
    auto all = burst(c, gw, 30, &failed);
    for (const auto& r : c.nodes(Role::Query)) CHECK(all[r] > 0);

    c.freeze("query-2");  // holding its share of the next burst...
    std::vector<std::string> ids;
    for (int i = 0; i < 30; ++i) {
        auto q = inventoryQuery();
        ids.push_back(q.id);
        c.send(gw, q);
    }
    c.settle();
    c.drop("query-2");  // ...when it goes
    const auto answers = c.awaitAnswers(gw, ids.size());
    REQUIRE(answers.size() >= ids.size());
    for (const auto& a : answers) {
        CHECK(a.kind == Kind::Reply);
        CHECK(a.node != "query-2");
    }

    // Back (UP again after its run of fresh heartbeats, and reconnected: real time), it takes its
    // share again.
    c.restart("query-2");
    int served = 0;
    for (int i = 0; i < 25 && served == 0; ++i) {
        std::this_thread::sleep_for(Millis(5));
        c.advance(Millis(200));
        served = burst(c, gw, 30, &failed)["query-2"];
    }
    CHECK(served > 0);
    CHECK(failed == 0);
}

TEST_SUITE_END();
