// The monitor's web console fed by a whole cluster: the daemon classes in one process on a manual
// clock (harness.hpp), the console read over real HTTP. A page's event stream shows a dropped
// replica DOWN and the gateway's new route as the monitor writes them, and the next state agrees.
#include <doctest/doctest.h>

#include "common/doc.hpp"
#include "http_peer.hpp"
#include "inprocess/harness.hpp"

TEST_SUITE_BEGIN("inprocess");

using namespace jupiter;
using jupiter::testing::HttpPeer;
using jupiter::testing::InProcessCluster;

namespace {

// The last "state" event that has fully come on the stream, as a document.
Doc lastState(const std::string& stream) {
    const std::string mark = "event: state\ndata: ";
    const auto at = stream.rfind(mark);
    if (at == std::string::npos) return {};
    const auto end = stream.find("\n\n", at);
    if (end == std::string::npos) return {};
    const std::size_t from = at + mark.size();
    return Doc::parse(stream.substr(from, end - from), nullptr, false);
}

std::string stateOf(const Doc& state, const std::string& node) {
    if (!state.is_object() || !state.contains("nodes")) return "";
    for (const auto& n : state["nodes"])
        if (n.value("node", "") == node) return n.value("state", "");
    return "";
}

std::string routeOf(const Doc& state, const std::string& gateway) {
    if (!state.is_object() || !state.contains("gateways")) return "";
    for (const auto& g : state["gateways"])
        if (g.value("gateway", "") == gateway) return g.value("route", "");
    return "";
}

}  // namespace

TEST_CASE("in-process console: a page sees a dropped replica DOWN and the new route as they happen") {
    Layout l;
    l.brokers = 1;
    l.commands = 1;
    l.queries = 2;
    l.gateways = 1;
    InProcessCluster c(l);
    const auto* monitor = c.config().nodesWith(Role::Monitor).front();
    const auto at = hostPort(monitor->console);
    REQUIRE(at);
    const std::string gw = c.nodes(Role::Gateway).front();

    HttpPeer page(at->port, testing::httpGet("/"));
    CHECK(page.readAll().find("<title>Jupiter console</title>") != std::string::npos);

    HttpPeer stream(at->port, testing::httpGet("/events"));
    // The stream opens with the transitions so far; the state follows at the monitor's next beat.
    REQUIRE(c.advanceUntil(
        [&] {
            const Doc s = lastState(stream.readNow());
            return stateOf(s, "query-1") == "UP" && routeOf(s, gw) == "query-1";
        },
        Millis(2000)));
    CHECK(stream.received.find(R"("event":"UP","line")") != std::string::npos);

    c.drop("query-1");
    REQUIRE(c.advanceUntil(
        [&] {
            const std::string& s = stream.readNow();
            return s.find("Z query-1 DOWN (") != std::string::npos &&
                   s.find("Z " + gw + " REROUTE query-1 -> query-2 (") != std::string::npos;
        },
        Millis(1000)));
    REQUIRE(c.advanceUntil(
        [&] {
            const Doc s = lastState(stream.readNow());
            return stateOf(s, "query-1") == "DOWN" && routeOf(s, gw) == "query-2";
        },
        Millis(1000)));
    const Doc s = lastState(stream.received);
    CHECK(stateOf(s, "query-2") == "UP");
    CHECK(s["monitor"] == monitor->name);
}

TEST_SUITE_END();
