// The command path (gateway -> broker -> command node -> events -> replicas) with the daemon
// classes in one process on a manual clock (harness.hpp).
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

TEST_SUITE_END();
