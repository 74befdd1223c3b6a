// Monitor implementation; see monitor_node.hpp.
#include "monitor/monitor_node.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "bus/request.hpp"

namespace jupiter {

MonitorNode::MonitorNode(zmq::context_t& ctx, const DaemonContext& dc, const Clock& clock)
    : dc_(dc),
      clock_(clock),
      loop_(clock),
      router_(makeSocket(ctx, zmq::socket_type::router)),
      pinger_(makeSocket(ctx, zmq::socket_type::router)),
      sub_(makeSocket(ctx, zmq::socket_type::sub)),
      pub_(makeSocket(ctx, zmq::socket_type::pub)),
      events_(makeSocket(ctx, zmq::socket_type::pair)),
      health_(clock, dc.config.heartbeatLiveness, dc.config.recoveryHeartbeats, Millis(dc.config.pingTimeoutMs)),
      heartbeat_(pub_, clock,
                 Heartbeat{"monitor", "monitor", static_cast<uint64_t>(getpid()), dc.node->endpoint, 0, 0, 0,
                           static_cast<uint64_t>(dc.config.heartbeatIntervalMs), "", 0, ""}) {
    pinger_.set(zmq::sockopt::router_mandatory, 1);
    pinger_.set(zmq::sockopt::reconnect_ivl, 50);
    pinger_.set(zmq::sockopt::reconnect_ivl_max, 500);
}

MonitorNode::~MonitorNode() {
    if (log_) std::fclose(log_);
}

void MonitorNode::connect() {
    std::error_code ec;
    std::filesystem::create_directories(dc_.config.transitionLog().parent_path(), ec);
    log_ = std::fopen(dc_.config.transitionLog().c_str(), "a");
    if (!log_)
        throw std::runtime_error(fmt::format("cannot open the transition log {} (check the folder's permissions)",
                                             dc_.config.transitionLog().string()));
    try {
        router_.bind(dc_.node->bind);
    } catch (const zmq::error_t& e) {
        throw std::runtime_error(fmt::format("cannot bind {}: {} (is another cluster using this port?)",
                                             dc_.node->bind, e.what()));
    }
    const std::string eventsEp = fmt::format("inproc://monitor-pinger-{}", static_cast<const void*>(this));
    if (zmq_socket_monitor(pinger_.handle(), eventsEp.c_str(), ZMQ_EVENT_DISCONNECTED) != 0)
        throw std::runtime_error("cannot monitor the probe socket");
    events_.connect(eventsEp);
    for (const auto& n : dc_.config.nodes) {
        if (n.name == "monitor") continue;
        pinger_.set(zmq::sockopt::connect_routing_id, n.name);
        pinger_.connect(n.endpoint);
        nodeByEndpoint_[n.endpoint] = n.name;
    }
    sub_.set(zmq::sockopt::subscribe, kHeartbeatTopic);
    sub_.connect(dc_.config.broker.eventsOut);
    pub_.connect(dc_.config.broker.eventsIn);
}

int MonitorNode::run() {
    loop_.onReadable(router_, [this] { onRequest(); });
    loop_.onReadable(pinger_, [this] { onPong(); });
    loop_.onReadable(events_, [this] { onConnectionEvent(); });
    loop_.onReadable(sub_, [this] { onBus(); });
    loop_.every(Millis(dc_.config.pingIntervalMs), [this] { onPingTimer(); });
    loop_.every(Millis(10), [this] { onCheckTimer(); });
    loop_.every(Millis(dc_.config.heartbeatIntervalMs), [this] { onHeartbeatTimer(); });
    loop_.stopOnSignals();
    dc_.log->info("watching {} nodes; transitions go to {}", dc_.config.nodes.size() - 1,
                  dc_.config.transitionLog().string());
    onHeartbeatTimer();
    loop_.run();
    return 0;
}

void MonitorNode::record(int64_t atMs, const std::string& node, const std::string& event, const std::string& detail) {
    const std::string line = fmt::format("{} {} {} {}", formatUtcMs(atMs), node, event, detail);
    std::fputs((line + "\n").c_str(), log_);
    std::fflush(log_);
    dc_.log->info("{} {} {}", node, event, detail);
    Envelope e;
    e.kind = Kind::Transition;
    e.name = "transition";
    e.body = {{"at_ms", atMs}, {"node", node}, {"event", event}, {"detail", detail}, {"line", line}};
    sendFrames(pub_, {kTransitionTopic, encodeEnvelope(e)});
}

void MonitorNode::onBus() {
    for (int i = 0; i < 1024; ++i) {
        auto frames = recvFrames(sub_);
        if (!frames) break;
        if (frames->size() != 2) continue;
        auto env = decodeEnvelope(view((*frames)[1]));
        if (!env || env->kind != Kind::Heartbeat) continue;
        auto hb = heartbeatFrom(*env);
        if (!hb) continue;
        health_.onHeartbeat(*hb);
        if (hb->role == "command") head_ = hb->seq;
        if (hb->role == "gateway" && (!routeSeen_ || hb->route != route_)) {
            const std::string from = route_.empty() ? "none" : route_;
            const std::string to = hb->route.empty() ? "none" : hb->route;
            std::string reason = hb->routeReason;
            if (!routeSeen_ && !hb->route.empty()) reason = "route in use when the monitor started";
            if (routeSeen_ || !hb->route.empty())
                record(hb->routeSinceMs > 0 ? hb->routeSinceMs : clock_.wallMs(), "gateway", "REROUTE",
                       fmt::format("{} -> {} ({})", from, to, reason));
            route_ = hb->route;
            routeSeen_ = true;
        }
    }
}

void MonitorNode::onPingTimer() {
    for (const auto& n : dc_.config.nodes) {
        if (n.name == "monitor") continue;
        auto id = health_.pingDue(n.name);
        if (!id) continue;
        Envelope ping;
        ping.kind = Kind::Control;
        ping.name = "ping";
        ping.id = *id;
        // Unreachable peers refuse the send (ROUTER_MANDATORY); the missing echo marks them.
        sendFrames(pinger_, {n.name, encodeEnvelope(ping)});
    }
}

void MonitorNode::onPong() {
    for (int i = 0; i < 256; ++i) {
        auto frames = recvFrames(pinger_);
        if (!frames) return;
        if (frames->size() != 2) continue;
        auto env = decodeEnvelopeHeader(view((*frames)[1]));
        if (!env || env->name != "pong") continue;
        health_.onPong(std::string(view((*frames)[0])), env->id);
    }
}

void MonitorNode::onConnectionEvent() {
    for (int i = 0; i < 64; ++i) {
        auto ev = recvSocketEvent(events_);
        if (!ev) break;
        auto it = nodeByEndpoint_.find(ev->endpoint);
        if (ev->event == ZMQ_EVENT_DISCONNECTED && it != nodeByEndpoint_.end()) health_.onConnectionLost(it->second);
    }
    onCheckTimer();
}

void MonitorNode::onCheckTimer() {
    for (const auto& c : health_.evaluate()) {
        if (c.to == NodeState::Down) {
            record(clock_.wallMs(), c.node, "DOWN", fmt::format("({})", c.reason));
        } else {
            const Heartbeat* hb = health_.liveness().last(c.node);
            std::string detail = "(pid " + std::to_string(hb ? hb->pid : 0);
            if (hb && hb->role == "query")
                detail += hb->seq >= head_ ? fmt::format(", seq {}, caught up", hb->seq)
                                           : fmt::format(", seq {}, {} behind", hb->seq, head_ - hb->seq);
            else if (hb && hb->role == "command")
                detail += fmt::format(", head {}", hb->seq);
            record(clock_.wallMs(), c.node, "UP", detail + ")");
        }
    }
}

Doc MonitorNode::statusBody() const {
    Doc nodes = Doc::array();
    for (const auto& n : dc_.config.nodes) {
        Doc row = {{"node", n.name}, {"role", n.role}, {"endpoint", n.endpoint}};
        if (n.name == "monitor") {
            row["state"] = "UP";
            row["pid"] = static_cast<uint64_t>(getpid());
            row["age_ms"] = 0;
            row["seq"] = 0;
            row["lag"] = 0;
            row["rtt_us"] = 0;
            nodes.push_back(row);
            continue;
        }
        const auto& live = health_.liveness();
        const Heartbeat* hb = live.last(n.name);
        row["state"] = stateName(health_.state(n.name));
        row["pid"] = hb ? hb->pid : 0;
        row["age_ms"] = live.ageMs(n.name);
        row["seq"] = hb ? hb->seq : 0;
        row["lag"] = (hb && n.role == "query" && head_ > hb->seq) ? head_ - hb->seq : 0;
        row["rtt_us"] = health_.rttUs(n.name);
        row["since_ms"] = live.sinceMs(n.name);
        nodes.push_back(row);
    }
    return Doc{{"nodes", nodes}, {"route", route_}, {"head", head_}};
}

void MonitorNode::onRequest() {
    for (int i = 0; i < 256; ++i) {
        auto frames = recvFrames(router_);
        if (!frames) return;
        auto req = splitRequest(std::move(*frames));
        if (!req) continue;
        auto env = decodeEnvelope(req->bytes);
        Envelope reply;
        if (!env) {
            reply = makeErrorReply("?", "", env.error());
        } else if (env->kind == Kind::Control && env->name == "ping") {
            reply = makePong(*env, "monitor", head_);
        } else if (env->kind == Kind::Control && env->name == "status") {
            reply = makeReply(*env, statusBody());
        } else {
            reply = makeErrorReply(env->name, env->id,
                                   makeError("unknown_message", fmt::format("the monitor answers status and ping, "
                                                                            "not {}", env->name)));
        }
        reply.node = "monitor";
        sendReply(router_, req->route, reply);
    }
}

void MonitorNode::onHeartbeatTimer() { heartbeat_.publish(0); }

}  // namespace jupiter
