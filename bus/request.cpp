// Request/reply plumbing; see request.hpp.
#include "bus/request.hpp"

#include <unistd.h>

#include <fmt/format.h>

namespace jupiter {

std::optional<Request> splitRequest(Frames&& frames) {
    if (frames.size() < 2) return std::nullopt;
    Request r;
    r.bytes = std::string(view(frames.back()));
    r.peer = std::string(senderKeyOf(frames.back()));
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

bool refusedAsTooLarge(zmq::socket_t& s, const Request& req) {
    if (req.bytes.size() <= kMaxRequestBytes) return false;
    sendReply(s, req.route,
              makeRefusal(req.bytes, makeError("too_large", fmt::format("the message is {} bytes; at most {} are "
                                                                        "accepted (a list query pages with limit/after)",
                                                                        req.bytes.size(), kMaxRequestBytes))));
    return true;
}

std::optional<Envelope> decodeOrRefuse(zmq::socket_t& s, const Request& req) {
    auto env = decodeEnvelope(req.bytes);
    if (env) return std::move(env.value());
    sendReply(s, req.route, makeRefusal(req.bytes, env.error()));
    return std::nullopt;
}

bool permitted(Gatekeeper& gate, zmq::socket_t& s, const Request& req, Kind kind, const std::string& name,
               const std::string& id, Action a) {
    const Identity* who = gate.sender(req.peer, actionName(a));
    std::string why;
    if (!who) {
        why = "this client's key is not (or no longer) registered: ask an admin to run `jupiter client add`";
    } else if (!gate.permits(*who, a)) {
        why = fmt::format("{} {} needs the role {}; this client ({}) is a {}", kindName(kind), name, allowedRoles(a),
                          who->name, peerRoleName(who->role));
        gate.refuse(who, fmt::format("{} {} (needs {})", kindName(kind), name, allowedRoles(a)));
    } else {
        return true;
    }
    sendReply(s, req.route, makeErrorReply(name, id, makeError("forbidden", why)));
    return false;
}

Action controlAction(const Envelope& env) {
    if (env.kind == Kind::Control && env.name == "ping") return Action::Ping;
    if (env.kind == Kind::Control && env.name == "status") return Action::MonitorStatus;
    if (env.kind == Kind::Control && (env.name == "replay" || env.name == "snapshot")) return Action::Replay;
    if (env.kind == Kind::Control && (env.name == "fetch" || env.name == "fence")) return Action::Replicate;
    return Action::Inspect;
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
