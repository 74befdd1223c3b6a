// A client of a Jupiter endpoint (the gateway, or one node directly), in the Lazy Pirate style of
// the ZeroMQ guide: send, wait a bounded time for the reply with our request id, and on timeout
// close the socket, reopen it and resend with the same id (commands are deduplicated by id, so a
// resend is safe). Also usable asynchronously with many requests in flight (benchmarks).
#pragma once

#include <optional>
#include <string>

#include <zmq.hpp>

#include "common/clock.hpp"
#include "security/credentials.hpp"
#include "common/result.hpp"
#include "schemas/envelope.hpp"

namespace jupiter {

// A fresh random request id (128 bits, hex) with a prefix naming the sender.
std::string newRequestId(std::string_view prefix = "c");

// The error code of a call whose key the server refused (not registered, revoked, or not allowed
// on that endpoint): a client learns it from the handshake, within a round trip, not a timeout.
inline constexpr std::string_view kKeyRefused = "key_refused";

// What a Client learns from its socket's monitor besides refused keys.
enum class ClientWatch {
    Keys,             // handshakes only: a long-lived client (a few events a connection)
    FailedConnects,   // and connects that failed (connectionRefused): a short-lived probe only, as
                      // libzmq reports every retry (~7 a second while nothing listens) and blocks
                      // its I/O thread once ~2,000 are left unread
};

class Client {
public:
    // `credentials` (copied) say which key this client proves and which server keys it trusts;
    // `endpoint` must be a configured node's (curve mode).
    // `reconnectEvery` (0: libzmq's 100 ms): how soon a refused connection is tried again (a node
    // being started binds its endpoint a moment later).
    Client(zmq::context_t& ctx, const Credentials& credentials, std::string endpoint, Millis reconnectEvery = Millis(0),
           ClientWatch watch = ClientWatch::Keys);

    // Sends `req` and returns the reply (kind reply or error) with the same id. Errors: code
    // "unavailable" when no reply came after `attempts` tries of `timeout` each; kKeyRefused when
    // the server refused this client's key.
    Result<Envelope> call(const Envelope& req, Millis timeout, int attempts = 3);

    // Asynchronous use: send now, collect replies later (in any order).
    bool send(const Envelope& req);
    bool sendRaw(std::string_view bytes);
    std::optional<Envelope> receive(Millis timeout);
    // Receives the raw reply bytes (for tests that send garbage).
    std::optional<std::string> receiveRaw(Millis timeout);

    const std::string& endpoint() const { return endpoint_; }
    // Whether the server refused this client's key during a handshake.
    bool keyRefused() const { return keyRefused_; }
    // With ClientWatch::FailedConnects: whether every connection tried so far failed (refused:
    // nothing listens at the endpoint; or no route to it), so no reply can come until one
    // succeeds. Learnt while receiving. Always false with ClientWatch::Keys.
    bool connectionRefused() const { return connectionRefused_; }
    // The kKeyRefused error: which node refused which key file, and what to do.
    Error keyRefusedError() const;

private:
    void reconnect();
    void readSocketEvents();
    zmq::context_t& ctx_;
    Credentials credentials_;
    std::string endpoint_;
    Millis reconnectEvery_;
    ClientWatch watch_;
    zmq::socket_t sock_;
    zmq::socket_t events_;  // connections and handshakes of sock_
    bool keyRefused_ = false;
    bool connected_ = false;
    bool connectionRefused_ = false;
};

// Builds a request envelope.
Envelope makeRequest(Kind kind, std::string name, Doc body, std::string id = newRequestId());

}  // namespace jupiter
