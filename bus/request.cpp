// Request/reply plumbing; see request.hpp.
#include "bus/request.hpp"

#include <unistd.h>

namespace jupiter {

std::optional<Request> splitRequest(Frames&& frames) {
    if (frames.size() < 2) return std::nullopt;
    Request r;
    r.bytes = std::string(view(frames.back()));
    frames.pop_back();
    r.route = std::move(frames);
    return r;
}

bool sendReplyBytes(zmq::socket_t& s, const Frames& route, std::string_view bytes) {
    Frames out;
    out.reserve(route.size() + 1);
    for (const auto& f : route) out.push_back(zmq::message_t(f.data(), f.size()));
    out.push_back(msg(bytes));
    return sendFrames(s, out);
}

bool sendReply(zmq::socket_t& s, const Frames& route, const Envelope& reply) {
    return sendReplyBytes(s, route, encodeEnvelope(reply));
}

std::optional<Envelope> decodeOrRefuse(zmq::socket_t& s, const Request& req) {
    auto env = decodeEnvelope(req.bytes);
    if (env) return std::move(env.value());
    auto hdr = decodeEnvelopeHeader(req.bytes);
    sendReply(s, req.route, makeErrorReply(hdr ? hdr->name : "?", hdr ? hdr->id : "", env.error()));
    return std::nullopt;
}

Envelope makePong(const Envelope& ping, const std::string& node, uint64_t seq) {
    Envelope r;
    r.kind = Kind::Control;
    r.name = "pong";
    r.id = ping.id;
    r.body = {{"node", node}, {"pid", static_cast<uint64_t>(getpid())}, {"seq", seq}};
    r.node = node;
    return r;
}

}  // namespace jupiter
