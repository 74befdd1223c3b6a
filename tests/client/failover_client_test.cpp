// FailoverClient: waits for a slow but live server without resending, leaves a silent or vanished
// one for the next with the same request id, and tells "not there" from "there but not
// answering". Tiny ROUTER servers on free loopback ports stand in for the gateways; timeouts are
// tens of milliseconds.
#include <doctest/doctest.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bus/request.hpp"
#include "client/client.hpp"
#include "client/failover_client.hpp"
#include "common/zmq_util.hpp"

using namespace jupiter;

namespace {

// Answers pings at once (unless deaf) and requests once `answerAfter` has passed since the first
// one (never, if negative); counts the requests and remembers their ids.
class FakeServer {
public:
    FakeServer(zmq::context_t& ctx, Millis answerAfter, bool deaf = false, std::string refuseWith = "")
        : sock_(makeSocket(ctx, zmq::socket_type::router)), deaf_(deaf), refuseWith_(std::move(refuseWith)) {
        sock_.bind("tcp://127.0.0.1:*");
        endpoint_ = lastEndpoint(sock_);
        thread_ = std::thread([this, answerAfter] { run(answerAfter); });
    }
    ~FakeServer() { stop(); }
    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
        sock_.close();  // the client sees the connection go
    }
    const std::string& endpoint() const { return endpoint_; }
    int requests() const { return requests_; }
    int pings() const { return pings_; }
    std::string lastId() const {
        std::lock_guard lock(m_);
        return lastId_;
    }

private:
    void run(Millis answerAfter) {
        std::vector<std::pair<Request, Envelope>> pending;
        auto firstSeen = std::chrono::steady_clock::now();
        while (!stop_) {
            zmq::pollitem_t item{sock_.handle(), 0, ZMQ_POLLIN, 0};
            zmq::poll(&item, 1, Millis(5));
            while (auto frames = recvFrames(sock_)) {
                auto req = splitRequest(std::move(*frames));
                if (!req) continue;
                auto env = decodeEnvelopeHeader(req->bytes);
                if (!env) continue;
                if (env->kind == Kind::Control && env->name == "ping") {
                    ++pings_;
                    if (!deaf_) sendReply(sock_, req->route, makePong(*env, "fake", 0));
                    continue;
                }
                if (++requests_ == 1) firstSeen = std::chrono::steady_clock::now();
                {
                    std::lock_guard lock(m_);
                    lastId_ = env->id;
                }
                if (!refuseWith_.empty()) {
                    sendReply(sock_, req->route, makeErrorReply(env->name, env->id, makeError(refuseWith_, "no")));
                    continue;
                }
                pending.emplace_back(std::move(*req), std::move(*env));
            }
            if (answerAfter.count() >= 0 && std::chrono::steady_clock::now() - firstSeen >= answerAfter) {
                for (auto& [req, env] : pending) sendReply(sock_, req.route, makeReply(env, Doc{{"seq", 5}}));
                pending.clear();
            }
        }
    }

    zmq::socket_t sock_;
    bool deaf_;
    std::string refuseWith_;  // answer every request with this error code at once
    std::string endpoint_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<int> requests_{0};
    std::atomic<int> pings_{0};
    mutable std::mutex m_;
    std::string lastId_;
};

// A server that is stopped (SIGSTOP): its kernel accepts TCP connections into the listen backlog,
// but nothing ever answers the ZMTP handshake.
class StoppedServer {
public:
    StoppedServer() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        socklen_t len = sizeof(addr);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
        REQUIRE(::listen(fd_, 16) == 0);
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        endpoint_ = "tcp://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    }
    ~StoppedServer() { ::close(fd_); }
    StoppedServer(const StoppedServer&) = delete;
    StoppedServer& operator=(const StoppedServer&) = delete;
    const std::string& endpoint() const { return endpoint_; }

private:
    int fd_;
    std::string endpoint_;
};

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

// A loopback port nothing listens on: a connection there is refused. The listener is bound and
// closed in a context of its own, whose end waits until it is gone (a socket's close alone leaves
// it to libzmq's I/O thread, which may still accept a connection for a moment).
std::string closedEndpoint() {
    zmq::context_t own(1);
    auto probe = makeSocket(own, zmq::socket_type::router);
    probe.bind("tcp://127.0.0.1:*");
    const std::string endpoint = lastEndpoint(probe);
    probe.close();
    own.close();
    return endpoint;
}

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
