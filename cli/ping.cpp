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
        clients.push_back(std::make_unique<Client>(ctx, credentials, ep));
        ids.push_back(newRequestId("cli-ping"));
        clients.back()->send(makeRequest(Kind::Control, "ping", Doc::object(), ids.back()));
    }
    // Poll every socket in turn without blocking, so each pong is timed when it arrives rather
    // than when a slow neighbour's wait ends (Client does not expose its socket for zmq::poll).
    const auto deadline = sent + timeout;
    std::vector<std::optional<Pong>> out(endpoints.size());
    std::size_t answered = 0;
    while (answered < clients.size() && Steady::now() < deadline) {
        bool progress = false;
        for (std::size_t i = 0; i < clients.size(); ++i) {
            if (out[i]) continue;
            auto raw = clients[i]->receiveRaw(Millis(0));
            if (!raw) continue;
            progress = true;
            auto rep = decodeEnvelopeHeader(*raw);
            if (!rep) continue;
            if (rep->id != ids[i] || rep->kind != Kind::Control || rep->name != "pong") continue;
            out[i] = Pong{rep->body, std::chrono::duration_cast<Micros>(Steady::now() - sent)};
            ++answered;
        }
        if (!progress) std::this_thread::sleep_for(Millis(1));
    }
    return out;
}

std::optional<Pong> waitForPong(zmq::context_t& ctx, const Credentials& credentials, const std::string& endpoint, Millis timeout, Millis every,
                                const std::function<bool()>& stillWorthWaiting) {
    const auto deadline = Steady::now() + timeout;
    // A daemon just spawned binds its endpoint a few tens of milliseconds later, and libzmq tries a
    // refused connection again only after its reconnect interval (100 ms). So the first tries are
    // short, each on a new connection: a node is seen within milliseconds of binding. Once the
    // window has doubled up to `every`, one connection stays: a node too busy to answer within a
    // window (a standby catching up under load, a sanitized build) is not asked for a new
    // handshake each time, and its late pong to an earlier ping counts. It is replaced after five
    // windows without a pong, or at once if its handshake was refused: libzmq never tries a refused
    // handshake again, so one refusal (a node restarting as it was asked) would last the timeout.
    Millis window = std::min(every, Millis(20));
    std::unique_ptr<Client> client;
    auto clientSince = Steady::now();
    while (true) {
        const auto sent = Steady::now();
        if (!client || window < every || client->keyRefused() || sent - clientSince >= 5 * every) {
            client = std::make_unique<Client>(ctx, credentials, endpoint);
            clientSince = sent;
        }
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
