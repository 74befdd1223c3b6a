// Gateway implementation; see gateway_node.hpp.
#include "gateway/gateway_node.hpp"

#include <unistd.h>


#include <fmt/format.h>
#include <fmt/ranges.h>

#include "bus/request.hpp"

namespace jupiter {
namespace {

std::vector<std::string> replicaNames(const Config& c) {
    std::vector<std::string> out;
    for (const auto* n : c.queryNodes()) out.push_back(n->name);
    return out;
}

}  // namespace

GatewayNode::GatewayNode(zmq::context_t& ctx, const DaemonContext& dc, const Clock& clock)
    : dc_(dc),
      clock_(clock),
      loop_(clock),
      frontend_(makeSocket(ctx, zmq::socket_type::router)),
      replicas_(makeSocket(ctx, zmq::socket_type::router)),
      commands_(makeSocket(ctx, zmq::socket_type::dealer)),
      sub_(makeSocket(ctx, zmq::socket_type::sub)),
      pub_(makeSocket(ctx, zmq::socket_type::pub)),
      monitor_(makeSocket(ctx, zmq::socket_type::pair)),
      live_(clock, dc.config.heartbeatLiveness, dc.config.recoveryHeartbeats),
      selector_(replicaNames(dc.config), static_cast<uint64_t>(dc.config.maxLagEvents),
                static_cast<uint64_t>(dc.config.leaveLagEvents)),
      queries_(clock, live_, selector_,
               QueryRouter::Settings{Millis(dc.config.queryTimeoutMs), Millis(1200), Millis(dc.config.clientTimeoutMs),
                                     Millis(500), Millis(dc.config.queryTimeoutMinMs), Millis(1000)},
               [this](const std::string& replica, uint64_t token, const std::string& bytes) {
                   return connected_.count(replica) > 0 && sendFrames(replicas_, {replica, encodeToken(token), bytes});
               },
               [this](const Frames& route, const std::string& bytes) { replyToClient(route, bytes); }),
      commandRouter_(clock,
                     CommandRouter::Settings{Millis(dc.config.commandTimeoutMs), Millis(dc.config.clientTimeoutMs),
                                             Millis(50)},
                     [this](uint64_t token, const std::string& bytes) {
                         return sendFrames(commands_, {encodeToken(token), bytes});
                     },
                     [this](const Frames& route, const std::string& bytes) { replyToClient(route, bytes); }),
      heartbeat_(pub_, clock,
                 Heartbeat{"gateway", "gateway", static_cast<uint64_t>(getpid()), dc.node->endpoint, 0, 0, 0,
                           static_cast<uint64_t>(dc.config.heartbeatIntervalMs), "", 0, ""}) {
    replicas_.set(zmq::sockopt::router_mandatory, 1);
    frontend_.set(zmq::sockopt::router_mandatory, 0);
    commands_.set(zmq::sockopt::immediate, 1);
    // Reconnect quickly to a replica that restarts.
    replicas_.set(zmq::sockopt::reconnect_ivl, 50);
    replicas_.set(zmq::sockopt::reconnect_ivl_max, 500);
}

void GatewayNode::connect() {
    try {
        frontend_.bind(dc_.node->bind);
    } catch (const zmq::error_t& e) {
        throw std::runtime_error(fmt::format("cannot bind {}: {} (is another cluster using this port?)",
                                             dc_.node->bind, e.what()));
    }
    const std::string monitorEp = fmt::format("inproc://gateway-replicas-{}", static_cast<const void*>(this));
    if (zmq_socket_monitor(replicas_.handle(), monitorEp.c_str(), ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0)
        throw std::runtime_error("cannot monitor the replica socket");
    monitor_.connect(monitorEp);
    for (const auto* n : dc_.config.queryNodes()) {
        replicas_.set(zmq::sockopt::connect_routing_id, n->name);
        replicas_.connect(n->endpoint);
        replicaByEndpoint_[n->endpoint] = n->name;
    }
    commands_.connect(dc_.config.broker.commands);
    sub_.set(zmq::sockopt::subscribe, kHeartbeatTopic);
    sub_.connect(dc_.config.broker.eventsOut);
    pub_.connect(dc_.config.broker.eventsIn);
}

int GatewayNode::run() {
    loop_.onReadable(frontend_, [this] { onClient(); });
    loop_.onReadable(replicas_, [this] { onReplica(); });
    loop_.onReadable(commands_, [this] { onCommandReply(); });
    loop_.onReadable(sub_, [this] { onBus(); });
    loop_.onReadable(monitor_, [this] { onConnectionEvent(); });
    loop_.every(Millis(5), [this] { onTimer(); });
    loop_.every(Millis(dc_.config.heartbeatIntervalMs), [this] { onHeartbeatTimer(); });
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
    for (int i = 0; i < 1024; ++i) {
        auto frames = recvFrames(frontend_);
        if (!frames) return;
        auto req = splitRequest(std::move(*frames));
        if (!req) continue;
        // Queries and commands are routed on their header alone: the replica or the command node
        // validates the body (and answers a structured error), so the gateway does not decode
        // every body twice. Anything else is decoded in full here.
        if (auto peek = peekEnvelope(req->bytes); peek && (peek->kind == Kind::Query || peek->kind == Kind::Command)) {
            if (peek->kind == Kind::Query) queries_.submit(std::move(req->route), *peek, std::move(req->bytes));
            else commandRouter_.submit(std::move(req->route), *peek, std::move(req->bytes));
            continue;
        }
        auto env = decodeEnvelope(req->bytes);
        if (!env) {
            auto hdr = decodeEnvelopeHeader(req->bytes);
            sendReply(frontend_, req->route, makeErrorReply(hdr ? hdr->name : "?", hdr ? hdr->id : "", env.error()));
            continue;
        }
        if (env->kind == Kind::Control && env->name == "ping") {
            sendReply(frontend_, req->route, makePong(*env, "gateway", queries_.latestHead()));
        } else {
            sendReply(frontend_, req->route,
                      makeErrorReply(env->name, env->id,
                                     makeError("unknown_message", fmt::format("the gateway takes commands, queries and "
                                                                              "ping, not {} {}",
                                                                              kindName(env->kind), env->name))));
        }
    }
}

// Replies from replicas: [replica, token, envelope].
void GatewayNode::onReplica() {
    for (int i = 0; i < 1024; ++i) {
        auto frames = recvFrames(replicas_);
        if (!frames) return;
        if (frames->size() != 3) continue;
        auto token = decodeToken(view((*frames)[1]));
        auto env = peekEnvelope(view((*frames)[2]));
        if (!token || !env) continue;
        queries_.onReply(std::string(view((*frames)[0])), *token, std::string(view((*frames)[2])), *env);
    }
}

// Replies from the command node via the broker: [token, envelope].
void GatewayNode::onCommandReply() {
    for (int i = 0; i < 1024; ++i) {
        auto frames = recvFrames(commands_);
        if (!frames) return;
        if (frames->size() != 2) continue;
        auto token = decodeToken(view((*frames)[0]));
        auto env = peekEnvelope(view((*frames)[1]));
        if (!token || !env) continue;
        commandRouter_.onReply(*token, std::string(view((*frames)[1])), *env);
    }
}

void GatewayNode::onBus() {
    for (int i = 0; i < 1024; ++i) {
        auto frames = recvFrames(sub_);
        if (!frames) break;
        if (frames->size() != 2) continue;
        auto env = decodeEnvelope(view((*frames)[1]));
        if (!env || env->kind != Kind::Heartbeat) continue;
        auto hb = heartbeatFrom(*env);
        if (!hb) continue;
        if (hb->role == "command") queries_.setHead(hb->seq);
        if (hb->role == "broker") {
            lastBrokerBeat_ = clock_.now();
            if (!busUp_) {
                live_.refreshAll();
                busUp_ = true;
                dc_.log->info("the bus is up (broker heartbeat)");
            }
        }
        if (hb->role != "query") continue;
        if (!firstReplicaBeat_) firstReplicaBeat_ = clock_.now();
        if (auto change = live_.onHeartbeat(*hb))
            dc_.log->info("{} {} ({})", change->node, stateName(change->to), change->reason);
    }
    updateRoute();
}

void GatewayNode::onConnectionEvent() {
    for (int i = 0; i < 64; ++i) {
        auto ev = recvSocketEvent(monitor_);
        if (!ev) return;
        auto it = replicaByEndpoint_.find(ev->endpoint);
        if (it == replicaByEndpoint_.end()) continue;
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
    // At start the replicas' first heartbeats arrive one by one within an interval; choosing on the
    // first would log a REROUTE (fail-back) for each later arrival. Until the route is chosen,
    // queries still go to the best live replica (ReplicaSelector::route falls back to choose).
    if (!firstReplicaBeat_ || clock_.now() - *firstReplicaBeat_ < Millis(dc_.config.heartbeatIntervalMs * 3 / 2))
        return;
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
    const auto busDeadline = Millis(dc_.config.heartbeatIntervalMs * dc_.config.heartbeatLiveness);
    if (busUp_ && clock_.now() - lastBrokerBeat_ > busDeadline) {
        busUp_ = false;
        dc_.log->warn("no broker heartbeat for {} ms: judging replicas by their connections until the bus is back "
                      "(check the broker: jupiter status)", toMs(clock_.now() - lastBrokerBeat_));
    }
    if (busUp_) {
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
