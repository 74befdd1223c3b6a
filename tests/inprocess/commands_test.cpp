// The command path (gateway -> broker -> command node -> events -> replicas) with the daemon
// classes in one process on a manual clock (harness.hpp).
#include <set>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "inprocess/harness.hpp"

TEST_SUITE_BEGIN("inprocess");

using namespace jupiter;
using jupiter::testing::InProcessCluster;

namespace {

Envelope create(int n) {
    return makeRequest(Kind::Command, "product.create", {{"code", fmt::format("P{}", n)}, {"description", "d"}, {"price", 10}});
}

// Asks `replica` directly for the inventory as of `seq` (it waits until it has applied it).
uint64_t seqAt(InProcessCluster& c, const std::string& replica, uint64_t seq) {
    auto q = makeRequest(Kind::Query, "inventory.value", Doc::object());
    q.minSeq = seq;
    auto a = c.ask(replica, q);
    REQUIRE(a);
    REQUIRE(a->kind == Kind::Reply);
    return a->seq.value_or(0);
}

}  // namespace

TEST_CASE("in-process commands: each acknowledged command reaches every replica, whichever broker carries it") {
    Layout l;
    l.commands = 1;
    l.queries = 2;
    l.gateways = 1;  // two brokers: the layout's default
    InProcessCluster c(l);
    const std::string gw = c.nodes(Role::Gateway).front();
    REQUIRE(c.nodes(Role::Broker).size() == 2);

    auto first = c.ask(gw, create(1));
    REQUIRE(first);
    REQUIRE(first->kind == Kind::Reply);
    REQUIRE(first->seq);
    for (const auto& r : c.nodes(Role::Query)) CHECK(seqAt(c, r, *first->seq) >= *first->seq);

    // Either broker alone carries commands: the gateway leaves a broker it lost at once.
    uint64_t last = *first->seq;
    for (const auto& gone : c.nodes(Role::Broker)) {
        c.drop(gone);
        auto a = c.ask(gw, create(static_cast<int>(last) + 1), Millis(5000));
        REQUIRE(a);
        CHECK(a->kind == Kind::Reply);
        REQUIRE(a->seq);
        CHECK(*a->seq > last);
        last = *a->seq;
        for (const auto& r : c.nodes(Role::Query)) CHECK(seqAt(c, r, last) >= last);
        c.restart(gone);
        c.advance(Millis(500));
    }

    // The same request again (a client's resend) is answered, not applied twice.
    auto again = create(99);
    auto once = c.ask(gw, again);
    auto twice = c.ask(gw, again);
    REQUIRE(once);
    REQUIRE(twice);
    CHECK(once->seq == twice->seq);
}

TEST_CASE("in-process commands: commands held by a stopped broker are resent through the other - each applied once") {
    Layout l;
    l.commands = 1;
    l.queries = 1;
    l.gateways = 1;  // two brokers
    InProcessCluster c(l);
    const std::string gw = c.nodes(Role::Gateway).front();
    REQUIRE(c.ask(gw, create(0)));
    c.freeze("broker-1");  // SIGSTOP: connected, silent; whatever the gateway hands it waits there
    const TimePoint frozenAt = c.clock().now();
    std::vector<std::string> ids;
    for (int i = 1; i <= 6; ++i) {
        auto cmd = create(i);
        ids.push_back(cmd.id);
        c.send(gw, cmd);
    }
    const auto answers = c.awaitAnswers(gw, ids.size(), Millis(5000));
    REQUIRE(answers.size() >= ids.size());
    MESSAGE("all answered ", toMs(c.clock().now() - frozenAt), " ms after the broker stopped");
    std::set<uint64_t> seqs;
    for (const auto& a : answers) {
        CHECK(a.kind == Kind::Reply);
        if (a.seq) seqs.insert(*a.seq);
    }
    CHECK(seqs.size() == ids.size());
    const uint64_t last = *seqs.rbegin();

    // Back, the broker delivers what it held: the command node knows those ids, nothing applies twice.
    c.thaw("broker-1");
    c.advance(Millis(2000));
    auto q = makeRequest(Kind::Query, "inventory.value", Doc::object());
    auto a = c.ask(c.nodes(Role::Query).front(), q);
    REQUIRE(a);
    CHECK(a->seq == last);
    auto next = c.ask(gw, create(7));
    REQUIRE(next);
    REQUIRE(next->seq);
    CHECK(*next->seq == last + 1);
}

TEST_CASE("in-process commands: a gateway that hears no broker answers cut_off - one heard again takes commands at "
          "once, not at the gateway's next beat") {
    Layout l;
    l.brokers = 1;
    l.commands = 1;
    l.queries = 1;
    l.gateways = 1;
    InProcessCluster c(l);
    const std::string gw = c.nodes(Role::Gateway).front();
    auto first = c.ask(gw, create(0));
    REQUIRE(first);
    REQUIRE(first->kind == Kind::Reply);
    auto lines = [&](std::string_view text) {
        int n = 0;
        for (const auto& line : c.logLines(gw))
            if (line.find(text) != std::string::npos) ++n;
        return n;
    };
    const std::string broker = c.nodes(Role::Broker).front();
    c.freeze(broker);  // SIGSTOP: its connections stay, nothing comes through
    REQUIRE(c.advanceUntil([&] { return lines("answering commands with cut_off") > 0; }, Millis(2000)));
    auto refused = c.ask(gw, create(1));
    REQUIRE(refused);
    CHECK(refused->kind == Kind::Error);
    CHECK(refused->body.value("code", std::string()) == kErrorCutOff);

    const int upBefore = lines("the bus is up");
    c.thaw(broker);
    REQUIRE(c.advanceUntil([&] { return lines("the bus is up") > upBefore; }, Millis(2000), Millis(1)));
    CHECK(lines("a broker is heard again") == 1);  // in the turn that heard it
    auto passed = c.ask(gw, create(2));
    REQUIRE(passed);
    CHECK(passed->kind == Kind::Reply);
}

TEST_SUITE_END();
