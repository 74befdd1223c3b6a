// Gateway implementation; see gateway_node.hpp.
#include "gateway/gateway_node.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "bus/bus_reader.hpp"
#include "bus/request.hpp"

namespace jupiter {
namespace {

std::vector<std::string> replicaNames(const Config& c) {
    std::vector<std::string> out;
    for (const auto* n : c.nodesWith(Role::Query)) out.push_back(n->name);
    return out;
}

}  // namespace

GatewayNode::GatewayNode(zmq::context_t& ctx, const DaemonContext& dc, const Clock& clock)
    : dc_(dc),
      clock_(clock),
      gate_(ctx, dc.config, dc.credentials, dc.log, clock),
      wiring_(ctx, dc.config, *dc.node, gate_),
      loop_(clock),
      frontend_(wiring_.open(Link::Control)),
      replicas_(wiring_.openPool(Link::Replicas, ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED)),
      commands_(wiring_.open(Link::CommandOutlet)),
      sub_(wiring_.open(Link::Subscribe, {std::string(kHeartbeatTopic)})),
      pub_(wiring_.open(Link::Publish)),
      live_(clock, dc.config.heartbeatLiveness, dc.config.recoveryHeartbeats),
      selector_(replicaNames(dc.config), static_cast<uint64_t>(dc.config.maxLagEvents),
                static_cast<uint64_t>(dc.config.leaveLagEvents)),
      queries_(clock, live_, selector_,
               QueryRouter::Settings{Millis(dc.config.queryTimeoutMs), Millis(1200), Millis(dc.config.clientTimeoutMs),
                                     Millis(500), Millis(dc.config.queryTimeoutMinMs), Millis(1000)},
               [this](const std::string& replica, uint64_t token, const std::string& bytes) {
                   return connected_.count(replica) > 0 &&
                          sendFrames(replicas_.socket, {replica, encodeToken(token), bytes});
               },
               [this](const Frames& route, const std::string& bytes) { replyToClient(route, bytes); }),
      commandRouter_(clock,
                     CommandRouter::Settings{Millis(dc.config.commandTimeoutMs), Millis(dc.config.clientTimeoutMs),
                                             Millis(50)},
                     [this](uint64_t token, const std::string& bytes) {
                         return sendFrames(commands_, {encodeToken(token), bytes});
                     },
                     [this](const Frames& route, const std::string& bytes) { replyToClient(route, bytes); }),
      heartbeat_(pub_, clock, *dc.node, Millis(dc.config.heartbeatIntervalMs)),
      bus_(clock, Millis(dc.config.heartbeatIntervalMs * dc.config.heartbeatLiveness)),
      settle_(clock, Millis(dc.config.heartbeatIntervalMs * 3 / 2)) {}

int GatewayNode::run() {
    loop_.onReadable(frontend_, [this] { onClient(); });
    loop_.onReadable(replicas_.socket, [this] { onReplica(); });
    loop_.onReadable(commands_, [this] { onCommandReply(); });
    loop_.onReadable(sub_, [this] { onBus(); });
    loop_.onReadable(replicas_.events, [this] { onConnectionEvent(); });
    loop_.every(Millis(5), [this] { onTimer(); });
    loop_.every(Millis(dc_.config.heartbeatIntervalMs), [this] { onHeartbeatTimer(); });
    gate_.attach(loop_);
    loop_.stopOnSignals();
    dc_.log->info("serving clients on {}; replicas in preference order: {}", dc_.node->bind,
                  fmt::join(selector_.preference(), ", "));
    onHeartbeatTimer();
    loop_.run();
    return 0;
}

void GatewayNode::replyToClient(const Frames& route, const std::string& bytes) {
    if (!sendReplyBytes(frontend_, route, bytes)) dc_.log->debug("a client left before its reply");
}

void GatewayNode::onClient() {
    drain(frontend_, kDrainRequests, [this](Frames&& frames) {
        auto req = splitRequest(std::move(frames));
        if (!req) return;
        // Queries and commands are routed on their header alone: the replica or the command node
        // validates the body (and answers a structured error), so the gateway does not decode
        // every body twice. Anything else is decoded in full here.
        if (auto peek = peekEnvelope(req->bytes); peek && (peek->kind == Kind::Query || peek->kind == Kind::Command)) {
            if (!permitted(gate_, frontend_, *req, *peek, peek->kind == Kind::Query ? Action::Query : Action::Command))
                return;
            if (peek->kind == Kind::Query) queries_.submit(std::move(req->route), *peek, std::move(req->bytes));
            else commandRouter_.submit(std::move(req->route), *peek, std::move(req->bytes));
            return;
        }
        auto env = decodeOrRefuse(frontend_, *req);
        if (!env) return;
        if (!permitted(gate_, frontend_, *req, *env, controlAction(*env))) return;
        if (env->kind == Kind::Control && env->name == "ping") {
            auto pong = makePong(*env, dc_.node->name, queries_.latestHead());
            pong.body["refused"] = gate_.refusedDoc();
            sendReply(frontend_, req->route, pong);
        } else {
            sendReply(frontend_, req->route,
                      makeErrorReply(env->name, env->id,
                                     makeError("unknown_message", fmt::format("the gateway takes commands, queries and "
                                                                              "ping, not {} {}",
                                                                              kindName(env->kind), env->name))));
        }
    });
}

// Replies from replicas: [replica, token, envelope].
void GatewayNode::onReplica() {
    drain(replicas_.socket, kDrainRequests, [this](Frames&& frames) {
        if (frames.size() != 3) return;
        auto token = decodeToken(view(frames[1]));
        auto env = peekEnvelope(view(frames[2]));
        if (!token || !env) return;
        queries_.onReply(std::string(view(frames[0])), *token, std::string(view(frames[2])), *env);
    });
}

// Replies from the command node via a broker: [token, envelope].
void GatewayNode::onCommandReply() {
    drain(commands_, kDrainRequests, [this](Frames&& frames) {
        if (frames.size() != 2) return;
        auto token = decodeToken(view(frames[0]));
        auto env = peekEnvelope(view(frames[1]));
        if (!token || !env) return;
        commandRouter_.onReply(*token, std::string(view(frames[1])), *env);
    });
}

void GatewayNode::onBus() {
    drainBus(sub_, kDrainRequests, [this](const Heartbeat& hb) {
        switch (hb.role) {
            case Role::Command:
                if (hb.node == dc_.config.writer()->name) queries_.setHead(hb.seq);
                break;
            case Role::Broker:
                if (bus_.onBrokerBeat(hb.node)) {
                    live_.refreshAll();
                    dc_.log->info("the bus is up ({} heartbeat)", hb.node);
                }
                break;
            case Role::Query:
                settle_.onReplicaBeat();
                if (auto change = live_.onHeartbeat(hb))
                    dc_.log->info("{} {} ({})", change->node, stateName(change->to), change->reason);
                break;
            default: break;
        }
    });
    updateRoute();
}

void GatewayNode::onConnectionEvent() {
    while (auto ev = recvSocketEvent(replicas_.events)) {
        auto it = replicas_.nodeByEndpoint.find(ev->endpoint);
        if (it == replicas_.nodeByEndpoint.end()) continue;
        if (ev->event == ZMQ_EVENT_DISCONNECTED) {
            connected_.erase(it->second);
            replicaDown(it->second, "connection lost");
        } else if (ev->event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            connected_.insert(it->second);
            dc_.log->debug("connected to {}", it->second);
        }
    }
}

void GatewayNode::replicaDown(const std::string& replica, const std::string& reason) {
    if (auto change = live_.markDown(replica, reason))
        dc_.log->warn("{} {} ({})", change->node, stateName(change->to), change->reason);
    queries_.onReplicaLost(replica);
    updateRoute();
}

void GatewayNode::updateRoute() {
    // Until the route is chosen, queries still go to the best live replica (ReplicaSelector::route
    // falls back to choose).
    if (!settle_.settled()) return;
    if (auto change = selector_.update(live_, queries_.head())) {
        auto& hb = heartbeat_.info();
        hb.route = change->to;
        hb.routeSinceMs = clock_.wallMs();
        hb.routeReason = change->reason;
        dc_.log->info("REROUTE {} -> {} ({})", change->from.empty() ? "none" : change->from,
                      change->to.empty() ? "none" : change->to, change->reason);
        // Tell the monitor now rather than at the next heartbeat.
        onHeartbeatTimer();
    }
}

void GatewayNode::onTimer() {
    if (auto silent = bus_.tick())
        dc_.log->warn("no broker heartbeat for {} ms: judging replicas by their connections until the bus is back "
                      "(check the brokers: jupiter status)", silent->count());
    if (bus_.up()) {
        for (const auto& change : live_.tick()) {
            dc_.log->warn("{} {} ({})", change.node, stateName(change.to), change.reason);
            queries_.onReplicaLost(change.node);
        }
    }
    updateRoute();
    queries_.tick();
    commandRouter_.tick();
}

void GatewayNode::onHeartbeatTimer() { heartbeat_.publish(queries_.latestHead()); }

}  // namespace jupiter
