// FailoverClient: waits for a slow but live server without resending, leaves a silent or vanished
// one for the next with the same request id, and tells "not there" from "there but not
// answering". Tiny ROUTER servers on free loopback ports stand in for the gateways; timeouts are
// tens of milliseconds.
#include <doctest/doctest.h>

#include <functional>
#include <thread>

#include "client/client.hpp"
#include "client/failover_client.hpp"
#include "tests/client/fake_servers.hpp"

using namespace jupiter;
using jupiter::testing::closedEndpoint;
using jupiter::testing::FakeServer;
using jupiter::testing::StoppedServer;

namespace {

FailoverOptions fast() {
    FailoverOptions o;
    o.silence = Millis(40);
    o.pingTimeout = Millis(40);
    o.unreachable = Millis(400);
    return o;
}

bool waitFor(const std::function<bool()>& cond) {
    const auto deadline = std::chrono::steady_clock::now() + Millis(5000);
    while (!cond() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(Millis(5));
    return cond();
}

Envelope request() { return makeRequest(Kind::Query, "inventory.value", Doc::object(), newRequestId("t")); }

}  // namespace

TEST_CASE("failover client: a live server is waited for beyond the silence - without a resend or a failover") {
    zmq::context_t ctx(1);
    FakeServer slow(ctx, Millis(200));
    FakeServer other(ctx, Millis(0));
    FailoverClient client(ctx, Credentials::none(), {slow.endpoint(), other.endpoint()}, fast());
    auto r = client.call(request(), Millis(3000));
    REQUIRE(r.ok());
    CHECK(r->kind == Kind::Reply);
    CHECK(r->body["seq"] == 5);
    CHECK(slow.requests() == 1);
    CHECK(other.requests() == 0);
    CHECK(client.failovers() == 0);
}

TEST_CASE("failover client: a server that stops answering pings is left - the request goes on, same id") {
    zmq::context_t ctx(1);
    FakeServer stuck(ctx, Millis(-1), /*deaf=*/true);
    FakeServer good(ctx, Millis(0));
    FailoverClient client(ctx, Credentials::none(), {stuck.endpoint(), good.endpoint()}, fast());
    const Envelope req = request();
    auto r = client.call(req, Millis(3000));
    INFO((r.ok() ? std::string() : r.error().message));
    REQUIRE(r.ok());
    CHECK(r->id == req.id);
    CHECK(stuck.requests() == 1);
    CHECK(good.requests() == 1);
    CHECK(good.lastId() == req.id);
    CHECK(client.failovers() >= 1);
    CHECK(client.current() == good.endpoint());
    // It sticks to the server that answered.
    auto again = client.call(request(), Millis(3000));
    REQUIRE(again.ok());
    CHECK(stuck.requests() == 1);
    CHECK(good.requests() == 2);
}

TEST_CASE("failover client: a lost connection moves waiting requests at once, and the client stays") {
    zmq::context_t ctx(1);
    auto dying = std::make_unique<FakeServer>(ctx, Millis(-1));
    FakeServer good(ctx, Millis(0));
    FailoverOptions o = fast();
    o.silence = Millis(5000);  // only the lost connection can move it
    FailoverClient client(ctx, Credentials::none(), {dying->endpoint(), good.endpoint()}, o);
    REQUIRE(client.call(makeRequest(Kind::Control, "ping", Doc::object(), newRequestId("t")), Millis(2000)).ok());
    const Envelope req = request();
    client.send(req);
    REQUIRE(waitFor([&] { return dying->requests() == 1; }));
    dying->stop();
    auto r = client.receive(Millis(3000));
    REQUIRE(r.has_value());
    CHECK(r->peek.id == req.id);
    CHECK(r->endpoint == good.endpoint());
    CHECK(client.lastFailoverReason().find("lost the connection") != std::string::npos);
}

TEST_CASE("failover client: a refused connection moves the request on at once - no wait for silence and a ping") {
    zmq::context_t ctx(1);
    FakeServer good(ctx, Millis(0));
    FailoverOptions o = fast();
    o.silence = Millis(60000);  // only the refused connection can move it within the budget
    o.pingTimeout = Millis(60000);
    FailoverClient client(ctx, Credentials::none(), {closedEndpoint(), good.endpoint()}, o);
    const Envelope req = request();
    auto r = client.call(req, Millis(5000));
    INFO((r.ok() ? std::string() : r.error().message));
    REQUIRE(r.ok());
    CHECK(r->id == req.id);
    CHECK(good.lastId() == req.id);
    CHECK(client.current() == good.endpoint());
    CHECK(client.failovers() == 1);
    CHECK(client.lastFailoverReason().find("refused the connection") != std::string::npos);
}

TEST_CASE("failover client: racing the first handshake - a server that accepts but never handshakes (stopped) "
          "costs a one-shot client nothing") {
    zmq::context_t ctx(1);
    StoppedServer stopped;
    FakeServer good(ctx, Millis(0));
    FailoverOptions o = fast();
    o.silence = Millis(60000);  // only the race can move it within the budget
    o.pingTimeout = Millis(60000);
    o.raceFirst = true;
    o.handshakeDrain = Millis(0);  // the stopped server's handshake never ends
    FailoverClient client(ctx, Credentials::none(), {stopped.endpoint(), good.endpoint()}, o);
    const Envelope req = request();
    auto r = client.call(req, Millis(5000));
    INFO((r.ok() ? std::string() : r.error().message));
    REQUIRE(r.ok());
    CHECK(r->id == req.id);
    CHECK(client.current() == good.endpoint());
    CHECK(client.failovers() == 0);  // not a failure: the stopped server was never sent anything
}

TEST_CASE("failover client: a live server that never answers is a timeout - no server at all is unavailable") {
    zmq::context_t ctx(1);
    {
        FakeServer server(ctx, Millis(-1));
        FailoverClient client(ctx, Credentials::none(), {server.endpoint()}, fast());
        auto r = client.call(request(), Millis(300));
        REQUIRE(!r.ok());
        CHECK(r.error().code == "timeout");
        CHECK(r.error().message.find("answers ping") != std::string::npos);
        CHECK(server.requests() == 1);
    }
    FailoverClient client(ctx, Credentials::none(), {closedEndpoint(), closedEndpoint()}, fast());
    const auto start = std::chrono::steady_clock::now();
    auto r = client.call(request(), Millis(20000));
    REQUIRE(!r.ok());
    CHECK(r.error().code == "unavailable");
    CHECK(r.error().message.find("could be connected") != std::string::npos);
    // It gave up once nothing was connected for `unreachable`, not at the end of the budget.
    CHECK(std::chrono::steady_clock::now() - start < Millis(15000));
}

TEST_CASE("failover client: a server answering cut_off is left for the next, same id - when all say it, the caller "
          "gets that answer") {
    zmq::context_t ctx(1);
    FakeServer cut(ctx, Millis(-1), false, std::string(kErrorCutOff));
    FakeServer good(ctx, Millis(0));
    FailoverOptions o = fast();
    o.silence = Millis(5000);  // only the cut_off answer can move it
    FailoverClient client(ctx, Credentials::none(), {cut.endpoint(), good.endpoint()}, o);
    const Envelope req = request();
    auto r = client.call(req, Millis(3000));
    INFO((r.ok() ? std::string() : r.error().message));
    REQUIRE(r.ok());
    CHECK(r->kind == Kind::Reply);
    CHECK(r->id == req.id);
    CHECK(cut.requests() == 1);
    CHECK(good.lastId() == req.id);
    CHECK(client.current() == good.endpoint());
    CHECK(client.lastFailoverReason().find("cut_off") != std::string::npos);

    // Any other error is the request's answer, not a reason to move.
    FakeServer rejecting(ctx, Millis(-1), false, "rejected");
    FailoverClient plain(ctx, Credentials::none(), {rejecting.endpoint(), good.endpoint()}, o);
    auto rejected = plain.call(request(), Millis(3000));
    REQUIRE(rejected.ok());
    CHECK(rejected->kind == Kind::Error);
    CHECK(plain.failovers() == 0);

    // Every server cut off: the last one's answer reaches the caller, after one try each.
    FakeServer cut2(ctx, Millis(-1), false, std::string(kErrorCutOff));
    FailoverClient stuck(ctx, Credentials::none(), {cut.endpoint(), cut2.endpoint()}, o);
    auto all = stuck.call(request(), Millis(3000));
    REQUIRE(all.ok());
    CHECK(all->kind == Kind::Error);
    CHECK(all->body.value("code", "") == kErrorCutOff);
    CHECK(cut.requests() == 2);
    CHECK(cut2.requests() == 1);
}

// On a ManualClock: the client is driven by send, service and tick, and only the test moves time,
// so the silence and ping rules are checked to the millisecond (the servers still answer over real
// loopback sockets, waited for in real time).
namespace {

// Services the client until `done` holds (real time, bounded); returns the answers it gave.
std::vector<ClientReply> pumpUntil(FailoverClient& client, const std::function<bool()>& done) {
    std::vector<ClientReply> answers;
    const auto deadline = std::chrono::steady_clock::now() + Millis(5000);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
        while (auto r = client.service()) answers.push_back(std::move(*r));
        zmq::pollitem_t items[] = {{client.socket().handle(), 0, ZMQ_POLLIN, 0},
                                   {client.events().handle(), 0, ZMQ_POLLIN, 0}};
        zmq::poll(items, 2, Millis(5));
    }
    while (auto r = client.service()) answers.push_back(std::move(*r));
    return answers;
}

FailoverOptions onClock(const Clock& clock) {
    FailoverOptions o;
    o.silence = Millis(200);
    o.pingTimeout = Millis(200);
    o.clock = &clock;
    return o;
}

}  // namespace

TEST_CASE("failover client on a manual clock: pinged after exactly the silence, left exactly when the ping is "
          "unanswered for its timeout") {
    zmq::context_t ctx(1);
    ManualClock clock;
    FakeServer deaf(ctx, Millis(-1), /*deaf=*/true);
    FakeServer good(ctx, Millis(0));
    FailoverClient client(ctx, Credentials::none(), {deaf.endpoint(), good.endpoint()}, onClock(clock));
    const Envelope req = request();
    client.send(req);
    pumpUntil(client, [&] { return deaf.requests() == 1; });
    REQUIRE(deaf.requests() == 1);

    clock.advance(Millis(199));
    client.tick();
    CHECK_FALSE(client.pinging());
    clock.advance(Millis(1));
    client.tick();
    CHECK(client.pinging());
    pumpUntil(client, [&] { return deaf.pings() == 1; });
    CHECK(deaf.pings() == 1);

    clock.advance(Millis(199));
    client.tick();
    CHECK(client.failovers() == 0);
    clock.advance(Millis(1));
    client.tick();
    CHECK(client.failovers() == 1);
    CHECK(client.lastFailoverReason().find("answered neither a request nor a ping for 400 ms") != std::string::npos);
    auto answers = pumpUntil(client, [&] { return good.requests() == 1 && client.waiting() == 0; });
    REQUIRE(answers.size() == 1);
    CHECK(answers[0].peek.id == req.id);
    CHECK(answers[0].endpoint == good.endpoint());
    CHECK(deaf.requests() == 1);  // never sent twice to the server it left
}

TEST_CASE("failover client on a manual clock: a server that answers its pings is waited for, however long") {
    zmq::context_t ctx(1);
    ManualClock clock;
    FakeServer slow(ctx, Millis(-1));  // answers pings, never the request
    FakeServer other(ctx, Millis(0));
    FailoverClient client(ctx, Credentials::none(), {slow.endpoint(), other.endpoint()}, onClock(clock));
    client.send(request());
    pumpUntil(client, [&] { return slow.requests() == 1; });
    for (int k = 1; k <= 10; ++k) {  // 2 s of manual time, a ping each silence, each answered
        clock.advance(Millis(200));
        client.tick();
        REQUIRE(client.pinging());
        pumpUntil(client, [&] { return !client.pinging(); });  // its pong came back
        REQUIRE(slow.pings() == k);
        REQUIRE_FALSE(client.pinging());
    }
    CHECK(client.failovers() == 0);
    CHECK(client.waiting() == 1);
    CHECK(other.requests() == 0);
}
