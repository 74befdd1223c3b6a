// Socket helpers over real sockets on loopback TCP: connection events reach the monitor pair as
// (event, endpoint), and a dropped peer is reported as a disconnect of that endpoint.
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "common/zmq_util.hpp"

using namespace jupiter;

namespace {

// Waits up to 5 s for an event of the given kind on the monitor pair.
std::optional<SocketEvent> awaitEvent(zmq::socket_t& pair, uint16_t kind) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < end) {
        zmq::pollitem_t item{pair.handle(), 0, ZMQ_POLLIN, 0};
        zmq::poll(&item, 1, std::chrono::milliseconds(50));
        while (auto e = recvSocketEvent(pair))
            if (e->event == kind) return e;
    }
    return std::nullopt;
}

}  // namespace

TEST_CASE("zmq util: socket events name the endpoint - handshake then disconnect when the peer goes") {
    zmq::context_t ctx;
    auto server = std::make_optional(makeSocket(ctx, zmq::socket_type::router));
    server->bind("tcp://127.0.0.1:*");
    const std::string ep = lastEndpoint(*server);

    auto client = makeSocket(ctx, zmq::socket_type::dealer);
    const std::string monitorEp = fmt::format("inproc://zmq-util-test-{}", static_cast<const void*>(&client));
    REQUIRE(zmq_socket_monitor(client.handle(), monitorEp.c_str(),
                               ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED) == 0);
    auto pair = makeSocket(ctx, zmq::socket_type::pair);
    pair.connect(monitorEp);
    client.connect(ep);

    auto up = awaitEvent(pair, ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    REQUIRE(up);
    CHECK(up->endpoint == ep);
    CHECK_FALSE(recvSocketEvent(pair));  // nothing else is waiting

    server.reset();  // the peer closes its side
    auto down = awaitEvent(pair, ZMQ_EVENT_DISCONNECTED);
    REQUIRE(down);
    CHECK(down->endpoint == ep);
    zmq_socket_monitor(client.handle(), nullptr, 0);
}

TEST_CASE("zmq util: a socket described for a diagnostic - its type, and the endpoint it last bound") {
    zmq::context_t ctx;
    zmq::socket_t sub(ctx, zmq::socket_type::sub);
    CHECK(describeSocket(sub.handle()) == "SUB");
    zmq::socket_t router(ctx, zmq::socket_type::router);
    router.bind("tcp://127.0.0.1:*");
    const std::string ep = lastEndpoint(router);
    CHECK(describeSocket(router.handle()) == "ROUTER, " + ep);
}
