// CLI: a request waits for a slow but live server without resending, resends to a silent one, and
// tells "not there" from "there but not answering". A tiny ROUTER server on a free loopback port
// stands in for the gateway; timeouts are tens of milliseconds.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "bus/request.hpp"
#include "cli/patient_call.hpp"
#include "client/client.hpp"
#include "common/zmq_util.hpp"

using namespace jupiter;
using namespace jupiter::cli;

namespace {

// Answers pings at once and requests only once `answerAfter` has passed since the first one
// (never, if `answerAfter` is negative); counts the requests it received.
class FakeServer {
public:
    FakeServer(zmq::context_t& ctx, Millis answerAfter) : sock_(makeSocket(ctx, zmq::socket_type::router)) {
        sock_.bind("tcp://127.0.0.1:*");
        endpoint_ = lastEndpoint(sock_);
        thread_ = std::thread([this, answerAfter] { run(answerAfter); });
    }
    ~FakeServer() {
        stop_ = true;
        thread_.join();
    }
    const std::string& endpoint() const { return endpoint_; }
    int requests() const { return requests_; }

private:
    void run(Millis answerAfter) {
        std::optional<Request> pending;
        std::optional<Envelope> pendingEnv;
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
                    sendReply(sock_, req->route, makePong(*env, "fake", 0));
                    continue;
                }
                if (++requests_ == 1) firstSeen = std::chrono::steady_clock::now();
                pending = std::move(*req);
                pendingEnv = std::move(*env);
            }
            if (pending && answerAfter.count() >= 0 && std::chrono::steady_clock::now() - firstSeen >= answerAfter) {
                sendReply(sock_, pending->route, makeReply(*pendingEnv, Doc{{"seq", 5}}));
                pending.reset();
            }
        }
    }

    zmq::socket_t sock_;
    std::string endpoint_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<int> requests_{0};
};

PatiencePolicy fastPolicy(Millis budget) {
    PatiencePolicy p;
    p.attemptTimeout = Millis(40);
    p.pingTimeout = Millis(40);
    p.attempts = 3;
    p.budget = budget;
    return p;
}

Envelope request() { return makeRequest(Kind::Query, "inventory.value", Doc::object(), newRequestId("t")); }

}  // namespace

TEST_CASE("cli: a live server is waited for beyond one attempt - without a resend") {
    zmq::context_t ctx(1);
    FakeServer server(ctx, Millis(150));
    auto r = callPatiently(ctx, Credentials::none(), server.endpoint(), request(), fastPolicy(Millis(3000)));
    REQUIRE(r.ok());
    CHECK(r->kind == Kind::Reply);
    CHECK(r->body["seq"] == 5);
    CHECK(server.requests() == 1);
}

TEST_CASE("cli: a live server that never answers is a timeout - a missing one unavailable") {
    zmq::context_t ctx(1);
    {
        FakeServer server(ctx, Millis(-1));
        auto r = callPatiently(ctx, Credentials::none(), server.endpoint(), request(), fastPolicy(Millis(200)));
        REQUIRE(!r.ok());
        CHECK(r.error().code == "timeout");
        CHECK(r.error().message.find("answers ping") != std::string::npos);
        CHECK(server.requests() == 1);
    }
    // Nothing listens here: bind a port, read it back, and close it again.
    std::string endpoint;
    {
        auto probe = makeSocket(ctx, zmq::socket_type::router);
        probe.bind("tcp://127.0.0.1:*");
        endpoint = lastEndpoint(probe);
    }
    auto r = callPatiently(ctx, Credentials::none(), endpoint, request(), fastPolicy(Millis(5000)));
    REQUIRE(!r.ok());
    CHECK(r.error().code == "unavailable");
    CHECK(r.error().message.find("3 sends") != std::string::npos);
}
