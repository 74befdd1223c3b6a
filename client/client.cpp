// Client implementation; see client.hpp.
#include "client/client.hpp"

#include <random>

#include <fmt/format.h>

#include "common/links.hpp"
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

Client::Client(zmq::context_t& ctx, std::string endpoint)
    : ctx_(ctx), endpoint_(std::move(endpoint)), sock_(openClientSocket(ctx, endpoint_)) {}

void Client::reconnect() { sock_ = openClientSocket(ctx_, endpoint_); }

bool Client::sendRaw(std::string_view bytes) { return sendFrames(sock_, {"", bytes}); }

bool Client::send(const Envelope& req) { return sendRaw(encodeEnvelope(req)); }

std::optional<std::string> Client::receiveRaw(Millis timeout) {
    zmq::pollitem_t item{sock_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) <= 0) return std::nullopt;
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
    for (int attempt = 0; attempt < attempts; ++attempt) {
        if (attempt > 0) reconnect();  // a REQ-like exchange must not reuse a possibly broken socket
        send(req);
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (true) {
            const auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
            if (left.count() < 0) break;
            auto rep = receive(left);
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
