// A client of a Jupiter endpoint (the gateway, or one node directly), in the Lazy Pirate style of
// the ZeroMQ guide: send, wait a bounded time for the reply with our request id, and on timeout
// close the socket, reopen it and resend with the same id (commands are deduplicated by id, so a
// resend is safe). Also usable asynchronously with many requests in flight (benchmarks).
#pragma once

#include <optional>
#include <string>

#include <zmq.hpp>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "schemas/envelope.hpp"

namespace jupiter {

// A fresh random request id (128 bits, hex) with a prefix naming the sender.
std::string newRequestId(std::string_view prefix = "c");

class Client {
public:
    Client(zmq::context_t& ctx, std::string endpoint);

    // Sends `req` and returns the reply (kind reply or error) with the same id. Errors: code
    // "unavailable" when no reply came after `attempts` tries of `timeout` each.
    Result<Envelope> call(const Envelope& req, Millis timeout, int attempts = 3);

    // Asynchronous use: send now, collect replies later (in any order).
    bool send(const Envelope& req);
    bool sendRaw(std::string_view bytes);
    std::optional<Envelope> receive(Millis timeout);
    // Receives the raw reply bytes (for tests that send garbage).
    std::optional<std::string> receiveRaw(Millis timeout);

    const std::string& endpoint() const { return endpoint_; }

private:
    void reconnect();
    zmq::context_t& ctx_;
    std::string endpoint_;
    zmq::socket_t sock_;
};

// Builds a request envelope.
Envelope makeRequest(Kind kind, std::string name, Doc body, std::string id = newRequestId());

}  // namespace jupiter
