// Reading the bus over a real inproc PUB/SUB pair: a heartbeat speaks only for the node its topic
// names, in its configured role, and one whose strings hold control characters is refused.
#include <doctest/doctest.h>

#include <thread>

#include "bus/bus_reader.hpp"
#include "common/zmq_util.hpp"

using namespace jupiter;

namespace {

std::string beat(const std::string& node, const std::string& routeReason = "", Role role = Role::Gateway) {
    Heartbeat hb;
    hb.node = node;
    hb.role = role;
    hb.pid = 42;
    hb.endpoint = "tcp://127.0.0.1:1";
    hb.intervalMs = 100;
    hb.routeReason = routeReason;
    return encodeEnvelope(heartbeatEnvelope(hb));
}

}  // namespace

TEST_CASE("bus reader: a heartbeat naming another node than its topic, a node or role not configured, or holding a "
          "newline, is not taken") {
    auto config = parseConfig(defaultConfigToml("/tmp/jupiter-bus-reader-test", 7700), "");
    REQUIRE(config.ok());
    zmq::context_t ctx;
    zmq::socket_t pub = makeSocket(ctx, zmq::socket_type::pub);
    pub.bind("inproc://bus-reader-test");
    zmq::socket_t sub = makeSocket(ctx, zmq::socket_type::sub);
    sub.set(zmq::sockopt::subscribe, "");
    sub.connect("inproc://bus-reader-test");
    std::vector<std::string> seen;
    std::size_t malformed = 0;
    auto read = [&] {
        malformed += drainBus(sub, 100, *config, [&](const Heartbeat& hb) { seen.push_back(hb.node + "|" + hb.routeReason); },
                              {});
    };
    // The subscription reaches the publisher asynchronously: publish until one arrives (bounded).
    for (int i = 0; i < 200 && seen.empty(); ++i) {
        sendFrames(pub, {"hb.gateway-1", beat("gateway-1")});
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        read();
    }
    REQUIRE_FALSE(seen.empty());
    seen.clear();
    malformed = 0;
    sendFrames(pub, {"hb.gateway-1", beat("gateway-2")});                       // speaks for another
    sendFrames(pub, {"hb.gateway-1", beat("gateway-1", "x\n2026 query-1 DOWN")});  // forges a log line
    sendFrames(pub, {"ev", beat("gateway-1")});                                 // not a heartbeat topic
    sendFrames(pub, {"hb.gateway-9", beat("gateway-9")});                       // not configured
    sendFrames(pub, {"hb.gateway-1", beat("gateway-1", "", Role::Command)});     // not its role
    sendFrames(pub, {"hb.gateway-1", beat("gateway-1", "query-1 DOWN")});       // the real one
    for (int i = 0; i < 200 && seen.empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        read();
    }
    REQUIRE(seen.size() == 1);
    CHECK(seen[0] == "gateway-1|query-1 DOWN");
    CHECK(malformed == 5);
}
