// Client implementation; see client.hpp.
#include "client/client.hpp"

#include <random>

#include <fmt/format.h>

#include "node/links.hpp"
#include "common/zmq_util.hpp"

namespace jupiter {

std::string newRequestId(std::string_view prefix) {
    static thread_local std::mt19937_64 rng{std::random_device{}() ^
                                            static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())};
    return fmt::format("{}-{:016x}{:016x}", prefix, rng(), rng());
}

Envelope makeRequest(Kind kind, std::string name, Doc body, std::string id) {
    Envelope e;
    e.kind = kind;
    e.name = std::move(name);
    e.id = std::move(id);
    e.body = std::move(body);
    return e;
}

namespace {
constexpr int kKeyEvents = ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
constexpr int kConnectEvents = ZMQ_EVENT_CONNECTED | ZMQ_EVENT_CONNECT_RETRIED;
}

Client::Client(zmq::context_t& ctx, const Credentials& credentials, std::string endpoint, Millis reconnectEvery,
               ClientWatch watch)
    : ctx_(ctx), credentials_(credentials), endpoint_(std::move(endpoint)), reconnectEvery_(reconnectEvery), watch_(watch) {
    reconnect();
}

void Client::reconnect() {
    keyRefused_ = false;
    connected_ = false;
    connectionRefused_ = false;
    auto watched = openWatchedClientSocket(
        ctx_, credentials_, endpoint_, kKeyEvents | (watch_ == ClientWatch::FailedConnects ? kConnectEvents : 0),
        reconnectEvery_);
    sock_ = std::move(watched.socket);
    events_ = std::move(watched.events);
}

void Client::readSocketEvents() {
    while (auto ev = recvSocketEvent(events_)) {
        if (ev->event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) keyRefused_ = true;
        if (ev->event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) keyRefused_ = false;
        // A retry before any connection: the first attempt failed (after one, it is a
        // reconnection, which says nothing about what listens there now).
        if (ev->event == ZMQ_EVENT_CONNECTED) connected_ = true;
        connectionRefused_ = !connected_ && (connectionRefused_ || ev->event == ZMQ_EVENT_CONNECT_RETRIED);
    }
}

Error Client::keyRefusedError() const {
    return makeError(std::string(kKeyRefused),
                     fmt::format("the node at {} refused this client's key ({}): ask an admin to run `jupiter client "
                                 "add NAME --role reader|writer|admin` and use its key with --key or $JUPITER_KEY",
                                 endpoint_, credentials_.keyFile()));
}

bool Client::sendRaw(std::string_view bytes) { return sendFrames(sock_, {"", bytes}); }

bool Client::send(const Envelope& req) { return sendRaw(encodeEnvelope(req)); }

std::optional<std::string> Client::receiveRaw(Millis timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        zmq::pollitem_t items[] = {{sock_.handle(), 0, ZMQ_POLLIN, 0}, {events_.handle(), 0, ZMQ_POLLIN, 0}};
        const auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
        if (left.count() < 0 || zmq::poll(items, 2, left) <= 0) return std::nullopt;
        if (items[1].revents & ZMQ_POLLIN) {
            readSocketEvents();
            if (keyRefused_) return std::nullopt;  // no reply will come
        }
        if (items[0].revents & ZMQ_POLLIN) break;
    }
    auto frames = recvFrames(sock_);
    if (!frames || frames->empty()) return std::nullopt;
    return std::string(view(frames->back()));
}

std::optional<Envelope> Client::receive(Millis timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        const auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
        if (left.count() < 0) return std::nullopt;
        auto raw = receiveRaw(left);
        if (!raw) return std::nullopt;
        auto env = decodeEnvelopeHeader(*raw);
        if (env) return std::move(env.value());
        // A reply we cannot read is dropped; the caller's timeout covers it.
    }
}

Result<Envelope> Client::call(const Envelope& req, Millis timeout, int attempts) {
    // libzmq does not reconnect after a refused handshake; the key may have been registered
    // since, so a call after a refusal starts on a fresh connection.
    readSocketEvents();
    if (keyRefused_) reconnect();
    for (int attempt = 0; attempt < attempts; ++attempt) {
        if (attempt > 0) reconnect();  // a REQ-like exchange must not reuse a possibly broken socket
        send(req);
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (true) {
            const auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
            if (left.count() < 0) break;
            auto rep = receive(left);
            if (keyRefused_) return keyRefusedError();
            if (!rep) break;
            if (rep->id == req.id) return std::move(*rep);
            // A late reply to an earlier request: ignore it.
        }
    }
    return makeError("unavailable",
                     fmt::format("no reply from {} after {} attempts of {} ms; is the cluster running? "
                                 "(`jupiter status`, or `jupiter up` to start it)",
                                 endpoint_, attempts, timeout.count()));
}

}  // namespace jupiter
