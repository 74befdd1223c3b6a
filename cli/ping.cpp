// Pings from the CLI; see ping.hpp.
#include "cli/ping.hpp"

#include <algorithm>
#include <memory>
#include <thread>

#include "client/client.hpp"

namespace jupiter::cli {
namespace {

using Steady = std::chrono::steady_clock;

// Time left until `deadline`, never negative.
Millis leftUntil(Steady::time_point deadline) {
    return std::max(Millis(0), std::chrono::duration_cast<Millis>(deadline - Steady::now()));
}

}  // namespace

std::vector<std::optional<Pong>> pingAll(zmq::context_t& ctx, const Credentials& credentials, const std::vector<std::string>& endpoints,
                                         Millis timeout) {
    std::vector<std::unique_ptr<Client>> clients;
    std::vector<std::string> ids;
    const auto sent = Steady::now();
    for (const auto& ep : endpoints) {
        clients.push_back(std::make_unique<Client>(ctx, credentials, ep, Millis(0), ClientWatch::FailedConnects));
        ids.push_back(newRequestId("cli-ping"));
        clients.back()->send(makeRequest(Kind::Control, "ping", Doc::object(), ids.back()));
    }
    // Poll every socket in turn without blocking, so each pong is timed when it arrives rather
    // than when a slow neighbour's wait ends (Client does not expose its socket for zmq::poll).
    // An endpoint whose connection was refused (nothing listens there) cannot answer: it is not
    // waited for (a cluster that is down is told so at once, not after the timeout).
    const auto deadline = sent + timeout;
    std::vector<std::optional<Pong>> out(endpoints.size());
    std::vector<bool> done(endpoints.size(), false);
    std::size_t settled = 0;
    while (settled < clients.size() && Steady::now() < deadline) {
        bool progress = false;
        for (std::size_t i = 0; i < clients.size(); ++i) {
            if (done[i]) continue;
            auto raw = clients[i]->receiveRaw(Millis(0));
            if (!raw && clients[i]->connectionRefused()) {
                done[i] = true;
                ++settled;
                progress = true;
            }
            if (!raw) continue;
            progress = true;
            auto rep = decodeEnvelopeHeader(*raw);
            if (!rep) continue;
            if (rep->id != ids[i] || rep->kind != Kind::Control || rep->name != "pong") continue;
            out[i] = Pong{rep->body, std::chrono::duration_cast<Micros>(Steady::now() - sent)};
            done[i] = true;
            ++settled;
        }
        if (!progress) std::this_thread::sleep_for(Millis(1));
    }
    return out;
}

std::optional<Pong> waitForPong(zmq::context_t& ctx, const Credentials& credentials, const std::string& endpoint, Millis timeout, Millis every,
                                const std::function<bool()>& stillWorthWaiting) {
    const auto deadline = Steady::now() + timeout;
    // A daemon just spawned binds its endpoint a few tens of milliseconds later: one connection,
    // tried again every 10 ms until then (libzmq's default is 100 ms), and a ping each window, the
    // windows doubling from 20 ms up to `every`; a pong to any of them counts (a node too busy to
    // answer within a window is not asked for a new handshake). The connection is never closed
    // while its CURVE handshake may be under way: libzmq 4.3 does not reap a socket closed in the
    // middle of one, and later handshakes on the same context stall (restarted gateways then went
    // unanswered for 15 s in two CI runs). It is replaced only after its key was refused, when
    // the handshake is over (libzmq does not retry a refused one).
    Millis window = std::min(every, Millis(20));
    auto client = std::make_unique<Client>(ctx, credentials, endpoint, Millis(10));
    while (true) {
        const auto sent = Steady::now();
        if (client->keyRefused()) client = std::make_unique<Client>(ctx, credentials, endpoint, Millis(10));
        client->send(makeRequest(Kind::Control, "ping", Doc::object(), newRequestId("cli-ping")));
        const auto windowEnd = std::min(sent + window, deadline);
        while (Steady::now() < windowEnd) {
            auto rep = client->receive(leftUntil(windowEnd));
            if (!rep) break;
            if (rep->kind == Kind::Control && rep->name == "pong")
                return Pong{rep->body, std::chrono::duration_cast<Micros>(Steady::now() - sent)};
        }
        // A refused key ends receive() at once: do not spin.
        if (Steady::now() < windowEnd) std::this_thread::sleep_until(windowEnd);
        if (Steady::now() >= deadline || !stillWorthWaiting()) return std::nullopt;
        window = std::min(every, window * 2);
    }
}

}  // namespace jupiter::cli
