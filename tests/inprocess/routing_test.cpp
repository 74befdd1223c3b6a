// The gateway's routing of queries, and the monitor's view of it, with the daemon classes in one
// process on a manual clock (harness.hpp): the same answers every run, in milliseconds.
#include <algorithm>

#include <doctest/doctest.h>

#include "inprocess/harness.hpp"
#include "tests/text.hpp"

TEST_SUITE_BEGIN("inprocess");

using namespace jupiter;
using jupiter::testing::InProcessCluster;

namespace {

Layout twoReplicas() {
    Layout l;
    l.brokers = 1;
    l.commands = 1;
    l.queries = 2;
    l.gateways = 1;
    return l;
}

Envelope inventory() { return makeRequest(Kind::Query, "inventory.value", Doc::object()); }

bool logged(const std::vector<std::string>& lines, const std::string& what) { return jupiter::testing::countLines(lines, what) > 0; }

}  // namespace

TEST_CASE("in-process routing: a frozen replica in use is left within a query attempt, and taken back once it answers") {
    InProcessCluster c(twoReplicas());
    const std::string gw = c.nodes(Role::Gateway).front();
    auto first = c.ask(gw, inventory());
    REQUIRE(first);
    CHECK(first->kind == Kind::Reply);
    CHECK(first->node == "query-1");

    c.freeze("query-1");  // as with SIGSTOP: connected, silent
    const TimePoint frozenAt = c.clock().now();
    auto moved = c.ask(gw, inventory());
    REQUIRE(moved);
    CHECK(moved->kind == Kind::Reply);
    CHECK(moved->node == "query-2");
    MESSAGE("answered by query-2 ", toMs(c.clock().now() - frozenAt), " ms after the freeze");
    CHECK(c.clock().now() - frozenAt <= Millis(c.config().queryTimeoutMs + 10));

    REQUIRE(c.advanceUntil([&] { return logged(c.transitions(), "query-1 DOWN"); }, Millis(2000)));
    MESSAGE("the monitor said query-1 DOWN ", toMs(c.clock().now() - frozenAt), " ms after the freeze");
    CHECK(c.clock().now() - frozenAt <= Millis(350));  // the README's promise for a SIGSTOPped node
    REQUIRE(c.advanceUntil([&] { return logged(c.transitions(), gw + " REROUTE query-1 -> query-2"); },
                           Millis(2000)));
    for (int i = 0; i < 5; ++i) {
        auto q = c.ask(gw, inventory());
        REQUIRE(q);
        CHECK(q->node == "query-2");
    }

    c.thaw("query-1");
    REQUIRE(c.advanceUntil([&] { return logged(c.transitions(), gw + " REROUTE query-2 -> query-1"); },
                           Millis(5000)));
    CHECK(logged(c.transitions(), "query-1 UP"));
    auto back = c.askUntilReply(gw, inventory);
    REQUIRE(back);
    CHECK(back->node == "query-1");
}

TEST_CASE("in-process routing: queries waiting on a replica that goes away are all answered by the other") {
    InProcessCluster c(twoReplicas());
    const std::string gw = c.nodes(Role::Gateway).front();
    REQUIRE(c.ask(gw, inventory()));
    c.freeze("query-1");
    std::vector<std::string> ids;
    for (int i = 0; i < 20; ++i) {
        auto q = inventory();
        ids.push_back(q.id);
        c.send(gw, q);
    }
    c.settle();  // the gateway has passed them to query-1, which holds them
    const TimePoint droppedAt = c.clock().now();
    c.drop("query-1");  // its connections close, as when the process dies
    const auto answers = c.awaitAnswers(gw, ids.size(), Millis(2000));
    REQUIRE(answers.size() == ids.size());
    for (const auto& a : answers) {
        CHECK(a.kind == Kind::Reply);
        CHECK(a.node == "query-2");
        CHECK(std::find(ids.begin(), ids.end(), a.id) != ids.end());
    }
    MESSAGE("all answered ", toMs(c.clock().now() - droppedAt), " ms after the drop");

    c.restart("query-1");  // on its store, as systemd would restart it
    REQUIRE(c.advanceUntil([&] { return logged(c.transitions(), gw + " REROUTE query-2 -> query-1"); },
                           Millis(5000)));
    auto back = c.askUntilReply(gw, inventory);
    REQUIRE(back);
    CHECK(back->node == "query-1");
}

TEST_SUITE_END();
