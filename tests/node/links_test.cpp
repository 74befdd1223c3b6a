// Socket wiring from the configuration, over real loopback TCP: commands reach only the writer's connection,
// pools address peers by name, and a taken address is explained.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "common/clock.hpp"
#include "node/links.hpp"
#include "common/ports.hpp"
#include "common/zmq_util.hpp"

using namespace jupiter;

namespace {

Config cluster(const Layout& layout) {
    const int base = findFreePortRange(portsUsed(layout));
    REQUIRE(base > 0);
    auto c = parseConfig(defaultConfigToml("/tmp/jupiter-links-test", base, layout), "");
    REQUIRE(c.ok());
    return std::move(c.value());
}

// A context and the nodes' gatekeepers, closed in the right order (gatekeepers first). These tests
// are about wiring, not keys: no security (gatekeeper_test covers CURVE).
struct Doors {
    zmq::context_t ctx{1};
    SystemClock clock;
    std::vector<std::unique_ptr<Gatekeeper>> gates;
    Gatekeeper& open(const Config& c) {
        gates.push_back(std::make_unique<Gatekeeper>(ctx, c, Credentials::none(), spdlog::default_logger(), clock));
        return *gates.back();
    }
};

// Receives one message within `wait`, or nullopt.
std::optional<Frames> recvWithin(zmq::socket_t& s, Millis wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < deadline) {
        if (auto f = recvFrames(s)) return f;
        std::this_thread::sleep_for(Millis(5));
    }
    return std::nullopt;
}

}  // namespace

TEST_CASE("links: the broker's backend reaches a command node at the connection its hello came from - a peer "
          "naming that routing id gets nothing") {
    Layout two;
    two.commands = 2;
    two.brokers = 1;
    const Config c = cluster(two);
    Doors doors;
    zmq::context_t& ctx = doors.ctx;
    Wiring broker(ctx, c, *c.node("broker"), doors.open(c));
    Wiring writer(ctx, c, *c.node("command-1"), doors.open(c));
    Wiring other(ctx, c, *c.node("command-2"), doors.open(c));
    auto backend = broker.open(Link::BrokerBackend);
    auto w = writer.open(Link::CommandIntake);
    auto o = other.open(Link::CommandIntake);
    CHECK(writer.peers(Link::CommandIntake).size() == 1);
    // The writer's hello (addressed to the broker by its name) names its connection there.
    std::optional<Frames> hello;
    for (int i = 0; i < 200 && !hello; ++i) {
        sendFrames(w, {"broker", std::string(kIntakeHello)});
        hello = recvWithin(backend, Millis(10));
    }
    REQUIRE(hello.has_value());
    REQUIRE(hello->size() == 2);
    const std::string connection(view((*hello)[0]));
    CHECK(nodeOfIntakeRoutingId(connection) == "command-1");
    CHECK(connection != "command-1");  // a random part no other peer can know in advance
    CHECK(view((*hello)[1]) == kIntakeHello);
    // A peer that takes that very routing id is ignored (no handover): the writer keeps it.
    zmq::socket_t thief(ctx, zmq::socket_type::dealer);
    thief.set(zmq::sockopt::linger, 0);
    thief.set(zmq::sockopt::routing_id, connection);
    thief.connect(c.node("broker")->channel(BrokerChannel::CommandBackend).connect);
    sendFrames(thief, {std::string(kIntakeHello)});
    std::this_thread::sleep_for(Millis(100));
    REQUIRE(sendFrames(backend, {connection, "gateway", "cmd"}));
    auto got = recvWithin(w, Millis(2000));
    REQUIRE(got.has_value());
    REQUIRE(got->size() == 3);  // [broker, gateway, cmd]
    CHECK(view((*got)[0]) == "broker");
    CHECK(view((*got)[2]) == "cmd");
    CHECK_FALSE(recvWithin(o, Millis(100)).has_value());
    CHECK_FALSE(recvWithin(thief, Millis(100)).has_value());
    // A name nobody holds is refused at once (mandatory), not queued.
    CHECK_FALSE(sendFrames(backend, {"command-1", "gateway", "cmd"}));
}

TEST_CASE("links: a pool addresses each peer by its name - a second bind of a taken address is explained") {
    const Config c = cluster(Layout{});
    Doors doors;
    zmq::context_t& ctx = doors.ctx;
    Wiring gateway(ctx, c, *c.node("gateway-1"), doors.open(c));
    Wiring replica(ctx, c, *c.node("query-2"), doors.open(c));
    auto server = replica.open(Link::Control);
    auto pool = gateway.openPool(Link::Replicas, ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    CHECK(pool.nodeByEndpoint.size() == 3);
    CHECK(pool.nodeByEndpoint.at(c.node("query-2")->endpoint) == "query-2");
    auto ev = [&] {
        for (int i = 0; i < 200; ++i) {
            if (auto e = recvSocketEvent(pool.events)) return e;
            std::this_thread::sleep_for(Millis(10));
        }
        return std::optional<SocketEvent>{};
    }();
    REQUIRE(ev.has_value());
    CHECK(ev->endpoint == c.node("query-2")->endpoint);
    REQUIRE(sendFrames(pool.socket, {"query-2", "hello"}));
    auto got = recvWithin(server, Millis(2000));
    REQUIRE(got.has_value());
    CHECK(view(got->back()) == "hello");

    try {
        Wiring again(ctx, c, *c.node("query-2"), doors.open(c));
        auto second = again.open(Link::Control);
        FAIL("a second bind of the same address succeeded");
    } catch (const std::runtime_error& e) {
        const std::string m = e.what();
        CHECK(m.find("cannot bind query-2 endpoint at " + c.node("query-2")->bind) == 0);
        CHECK(m.find("--base-port") != std::string::npos);
    }
}
