// The CLI's pings (cli/ping): an endpoint where nothing listens is not waited for, one that
// answers is timed, and one that accepts but never handshakes (a stopped node) is waited for until
// the timeout. What `jupiter up` (is anything of this cluster running already?), `status` and
// `watch` ask before anything else.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "cli/ping.hpp"
#include "client/client.hpp"
#include "tests/client/fake_servers.hpp"

using namespace jupiter;
using jupiter::testing::closedEndpoint;
using jupiter::testing::FakeServer;
using jupiter::testing::StoppedServer;

TEST_CASE("client: a refused connection is known while receiving, when asked - a listening server's is not "
          "refused") {
    zmq::context_t ctx(1);
    Client refused(ctx, Credentials::none(), closedEndpoint(), Millis(0), ClientWatch::FailedConnects);
    const auto deadline = std::chrono::steady_clock::now() + Millis(5000);
    while (!refused.connectionRefused() && std::chrono::steady_clock::now() < deadline) refused.receiveRaw(Millis(10));
    CHECK(refused.connectionRefused());

    StoppedServer stopped;
    Client waiting(ctx, Credentials::none(), stopped.endpoint(), Millis(0), ClientWatch::FailedConnects);
    CHECK_FALSE(waiting.receiveRaw(Millis(200)));
    CHECK_FALSE(waiting.connectionRefused());

    // A long-lived client does not ask (libzmq reports every retry): it never says so.
    Client unasked(ctx, Credentials::none(), closedEndpoint());
    CHECK_FALSE(unasked.receiveRaw(Millis(200)));
    CHECK_FALSE(unasked.connectionRefused());
}

TEST_CASE("cli ping: an endpoint that refuses the connection is not waited for - one that answers is timed - a "
          "stopped one is waited for until the timeout") {
    zmq::context_t ctx(1);
    FakeServer live(ctx, Millis(0));
    const auto started = std::chrono::steady_clock::now();
    // Only the refused connection can end this within the minute.
    auto pongs = cli::pingAll(ctx, Credentials::none(), {closedEndpoint(), live.endpoint()}, Millis(60000));
    const auto took = std::chrono::steady_clock::now() - started;
    REQUIRE(pongs.size() == 2);
    CHECK_FALSE(pongs[0]);
    REQUIRE(pongs[1]);
    CHECK(pongs[1]->body.value("node", "") == "fake");
    CHECK(took < Millis(30000));

    StoppedServer stopped;
    auto silent = cli::pingAll(ctx, Credentials::none(), {stopped.endpoint()}, Millis(300));
    REQUIRE(silent.size() == 1);
    CHECK_FALSE(silent[0]);
}
