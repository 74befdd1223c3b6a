// Request/reply plumbing shared by every ROUTER-facing handler: a request is whatever routing
// frames the sockets on the way added, then the envelope as the last frame; a reply goes back
// with the same routing frames. Also the control answers every node gives (ping -> pong).
#pragma once

#include <optional>
#include <string>

#include <zmq.hpp>

#include "common/zmq_util.hpp"
#include "schemas/envelope.hpp"

namespace jupiter {

struct Request {
    Frames route;        // every frame before the envelope (identities, tokens, empty delimiter)
    std::string bytes;   // the envelope
};

// Splits a received message; nullopt when it has no frame beyond the routing identity.
std::optional<Request> splitRequest(Frames&& frames);

// Sends `reply` back along `route` (copied, so one route can answer several times).
bool sendReply(zmq::socket_t& s, const Frames& route, const Envelope& reply);
bool sendReplyBytes(zmq::socket_t& s, const Frames& route, std::string_view bytes);

// The answer to a ping from node `node`.
Envelope makePong(const Envelope& ping, const std::string& node, uint64_t seq);

}  // namespace jupiter
