// Request/reply plumbing shared by every ROUTER-facing handler: a request is whatever routing
// frames the sockets on the way added, then the envelope as the last frame; a reply goes back
// with the same routing frames. Also the control answers every node gives (ping -> pong).
#pragma once

#include <optional>
#include <string>

#include <zmq.hpp>

#include "security/gatekeeper.hpp"
#include "common/zmq_util.hpp"
#include "schemas/envelope.hpp"

namespace jupiter {

struct Request {
    Frames route;        // every frame before the envelope (identities, tokens, empty delimiter)
    std::string bytes;   // the envelope
    std::string peer;    // the sender's public key as authenticated by CURVE (empty without)
};

// Splits a received message; nullopt when it has no frame beyond the routing identity.
std::optional<Request> splitRequest(Frames&& frames);

// Sends `reply` back along `route` (copied, so one route can answer several times).
bool sendReply(zmq::socket_t& s, const Frames& route, const Envelope& reply);
bool sendReplyBytes(zmq::socket_t& s, const Frames& route, std::string_view bytes);

// Decodes a request's envelope in full; one that does not decode is answered on `s` here with a
// structured error (naming its message and id when the header is readable) and nullopt returned.
std::optional<Envelope> decodeOrRefuse(zmq::socket_t& s, const Request& req);

// Answers `req` on `s` with the error too_large when it is over kMaxRequestBytes; true if it did.
bool refusedAsTooLarge(zmq::socket_t& s, const Request& req);

// The request side of every ROUTER handler: takes up to `max` waiting requests from `s` (see
// drain), refuses the oversized and malformed ones (decodeOrRefuse) and hands the rest to
// `handle(Request&, Envelope&)`.
template <class Handler>
void serveRequests(zmq::socket_t& s, std::size_t max, Handler&& handle) {
    drain(s, max, [&](Frames&& frames) {
        auto req = splitRequest(std::move(frames));
        if (!req || refusedAsTooLarge(s, *req)) return;
        auto env = decodeOrRefuse(s, *req);
        if (env) handle(*req, *env);
    });
}

// Whether the sender of `req` may do `a`; if not, `env` is answered on `s` with the error code
// `forbidden`, naming the roles that may (the refusal is counted and logged by the gatekeeper).
bool permitted(Gatekeeper& gate, zmq::socket_t& s, const Request& req, Kind kind, const std::string& name,
               const std::string& id, Action a);
inline bool permitted(Gatekeeper& gate, zmq::socket_t& s, const Request& req, const Envelope& env, Action a) {
    return permitted(gate, s, req, env.kind, env.name, env.id, a);
}
inline bool permitted(Gatekeeper& gate, zmq::socket_t& s, const Request& req, const EnvelopePeek& env, Action a) {
    return permitted(gate, s, req, env.kind, env.name, env.id, a);
}

// What a control request asks for (ping, status, replay; digest, keys and anything else: Inspect,
// the strictest, so that an unknown request is refused as forbidden before it is called unknown).
Action controlAction(const Envelope& env);

// The answer to a ping from node `node`.
Envelope makePong(const Envelope& ping, const std::string& node, uint64_t seq);

}  // namespace jupiter
