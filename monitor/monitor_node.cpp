// Monitor implementation; see monitor_node.hpp.
#include "monitor/monitor_node.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "bus/bus_reader.hpp"
#include "bus/request.hpp"
#include "monitor/console_page.hpp"
#include "monitor/console_server.hpp"
#include "security/console_token.hpp"

namespace jupiter {

MonitorNode::MonitorNode(zmq::context_t& ctx, const DaemonContext& dc, const Clock& clock)
    : dc_(dc),
      clock_(clock),
      core_(ctx, dc, clock),
      router_(core_.wiring().open(Link::Control)),
      pinger_(core_.wiring().openPool(Link::Probes, ZMQ_EVENT_DISCONNECTED)),
      sub_(core_.wiring().open(Link::Subscribe, {std::string(kHeartbeatTopic)})),
      pub_(core_.wiring().open(Link::Publish)),
      health_(clock, dc.config.heartbeatLiveness, dc.config.recoveryHeartbeats, Millis(dc.config.pingTimeoutMs),
              Millis(dc.config.pingQuietIntervalMs)),
      metrics_(*dc.metrics, dc.config, dc.node->name, Millis(dc.config.heartbeatIntervalMs)),
      heartbeat_(pub_, clock, *dc.node, Millis(dc.config.heartbeatIntervalMs)),
      routes_(clock),
      leaders_(Millis(dc.config.heartbeatIntervalMs * dc.config.heartbeatLiveness), dc.config.replicated()),
      traffic_(clock, Millis(3000)) {
    std::error_code ec;
    std::filesystem::create_directories(dc_.config.transitionLog().parent_path(), ec);
    log_ = std::fopen(dc_.config.transitionLog().c_str(), "a");
    if (!log_)
        throw std::runtime_error(fmt::format("cannot open the transition log {} (check the folder's permissions)",
                                             dc_.config.transitionLog().string()));
    struct stat st {};
    if (fstat(fileno(log_), &st) == 0) logInode_ = st.st_ino;
    if (!dc_.node->console.empty()) startConsole();
}

MonitorNode::~MonitorNode() {
    console_.reset();  // its threads end before anything they read
    if (log_) std::fclose(log_);
}

void MonitorNode::startConsole() {
    const auto at = hostPort(dc_.node->console);
    ConsoleServer::Options options;
    options.address = dc_.node->console;
    options.page = consolePage();
    // Beyond loopback a browser must bring the token (any local account can already read the
    // cluster's state through `jupiter status`).
    if (at && !at->loopback()) {
        auto token = loadOrCreateConsoleToken(dc_.config.keysDir);
        if (!token) throw std::runtime_error(token.error().message);
        options.token = *token;
    }
    auto server = ConsoleServer::start(std::move(options));
    if (!server) throw std::runtime_error(server.error().message);
    console_ = std::move(*server);
    dc_.log->info("the console is at http://{}:{}/{}", at->host, console_->port(),
                  at->loopback() ? "" : " (with ?token= from the keys folder's console.token: jupiter console)");
}

void MonitorNode::start() {
    core_.loop().onReadable(router_, [this] { onRequest(); });
    // Every handler that can change a node's state is followed by a check (what it changed is
    // reported at once); the timers are for what time alone changes (see paceChecks).
    core_.loop().onReadable(pinger_.socket, [this] {
        onPong();
        onCheckTimer();
    });
    core_.loop().onReadable(pinger_.events, [this] { onConnectionEvent(); });
    core_.loop().onReadable(sub_, [this] {
        onBus();
        onCheckTimer();
    });
    core_.loop().everyOnTheBeat(Millis(dc_.config.pingIntervalMs), [this] {
        onPingTimer();
        onCheckTimer();
    });
    core_.loop().everyOnTheBeat(Millis(dc_.config.heartbeatIntervalMs), [this] { onCheckTimer(); });
    dc_.log->info("watching {} nodes; transitions go to {}", dc_.config.nodes.size() - 1,
                  dc_.config.transitionLog().string());
    core_.start([this] { onHeartbeatTimer(); });
}

int MonitorNode::run() {
    start();
    return core_.serve();
}

void MonitorNode::record(int64_t atMs, const std::string& node, const std::string& event, const std::string& detail) {
    const std::string line = fmt::format("{} {} {} {}", formatUtcMs(atMs), node, event, detail);
    // logrotate moved the file away: go on in a new one at the same path.
    struct stat st {};
    if (stat(dc_.config.transitionLog().c_str(), &st) != 0 || st.st_ino != logInode_) {
        if (std::FILE* fresh = std::fopen(dc_.config.transitionLog().c_str(), "a")) {
            std::fclose(log_);
            log_ = fresh;
            if (fstat(fileno(log_), &st) == 0) logInode_ = st.st_ino;
        }
    }
    std::fputs((line + "\n").c_str(), log_);
    std::fflush(log_);
    dc_.log->info("{} {} {}", node, event, detail);
    metrics_.transition(node, event);
    Envelope e;
    e.kind = Kind::Transition;
    e.name = "transition";
    e.body = {{"at_ms", atMs}, {"node", node}, {"event", event}, {"detail", detail}, {"line", line}};
    sendFrames(pub_, {kTransitionTopic, encodeEnvelope(e)});
    if (console_) {
        console_->publishTransition(e.body.dump(-1, ' ', false, Doc::error_handler_t::replace));
        publishConsoleState();
    }
}

void MonitorNode::onBus() {
    drainBus(sub_, kDrainRequests, dc_.config, [this](const Heartbeat& hb) {
        health_.onHeartbeat(hb);
        if (leaders_.onHeartbeat(hb, clock_.now())) {
            head_ = leaders_.head();
            // A new leader: an epoch past the last one recorded (the only command node has epoch 0).
            if (leaders_.headEpoch() > recordedEpoch_) {
                recordedEpoch_ = leaders_.headEpoch();
                record(clock_.wallMs(), leaders_.headLeader(), "LEADER", fmt::format("(epoch {})", recordedEpoch_));
            }
        }
        if (hb.role == Role::Query) noteStuck(hb);
        if (hb.role != Role::Gateway) return;
        traffic_.onGatewayBeat(hb);
        if (auto t = routes_.onGatewayBeat(hb))
            record(t->atMs, t->gateway, "REROUTE", fmt::format("{} -> {} ({})", t->from, t->to, t->reason));
    });
}

void MonitorNode::noteStuck(const Heartbeat& hb) {
    auto it = stuck_.find(hb.node);
    if (hb.stuck()) {
        if (it != stuck_.end() && it->second == hb.stuckAt) return;
        stuck_[hb.node] = hb.stuckAt;
        record(clock_.wallMs(), hb.node, "STUCK",
               fmt::format("(at {}: {}; it applies nothing more and is not routed to until restarted with a build "
                           "that can apply it)", hb.stuckAt, hb.stuckReason));
    } else if (it != stuck_.end() && hb.seq >= it->second) {
        record(clock_.wallMs(), hb.node, "RESUMED", fmt::format("(applied event {}, now at {})", it->second, hb.seq));
        stuck_.erase(it);
    }
}

void MonitorNode::onPingTimer() {
    for (const auto& node : pinger_.peers) {
        auto id = health_.pingDue(node);
        if (!id) continue;
        Envelope ping;
        ping.kind = Kind::Control;
        ping.name = "ping";
        ping.id = *id;
        // Peers we have no connection to refuse the send (ROUTER_MANDATORY): NodeHealth decides
        // what that says (a node still starting at start-up is not DOWN).
        if (!sendFrames(pinger_.socket, {node, encodeEnvelope(ping)})) health_.onPingUnsent(node);
    }
}

void MonitorNode::onPong() {
    drain(pinger_.socket, kDrainControl, [this](Frames&& frames) {
        if (frames.size() != 2) return;
        auto env = decodeEnvelopeHeader(view(frames[1]));
        if (!env || env->name != "pong") return;
        std::string node(view(frames[0]));
        if (env->body.is_object() && env->body.contains("refused")) refused_[node] = env->body["refused"];
        health_.onPong(node, env->id);
    });
}

void MonitorNode::onConnectionEvent() {
    while (auto ev = recvSocketEvent(pinger_.events)) {
        auto it = pinger_.nodeByEndpoint.find(ev->endpoint);
        if (ev->event == ZMQ_EVENT_DISCONNECTED && it != pinger_.nodeByEndpoint.end())
            health_.onConnectionLost(it->second);
    }
    onCheckTimer();
}

// A node whose heartbeats are on time (the last within 1.5 intervals) cannot miss its deadline (3
// intervals, the default liveness) before the next check on the heartbeat's beat; one that is late
// can, and is checked every 10 ms until it is on time again or DOWN, so it is judged as soon as
// before. With a liveness under 3 intervals every node is checked every 10 ms.
void MonitorNode::paceChecks() {
    const bool late = health_.liveness().upAndLate();
    if (late && !fastChecks_) {
        fastChecks_ = core_.loop().everyOnTheBeat(Millis(10), [this] { onCheckTimer(); });
    } else if (!late && fastChecks_) {
        core_.loop().cancel(*fastChecks_);
        fastChecks_.reset();
    }
}

void MonitorNode::onCheckTimer() {
    for (const auto& c : health_.evaluate()) {
        if (c.to == NodeState::Down) {
            record(clock_.wallMs(), c.node, "DOWN", fmt::format("({})", c.reason));
        } else {
            const Heartbeat* hb = health_.liveness().last(c.node);
            std::string detail = "(pid " + std::to_string(hb ? hb->pid : 0);
            if (hb && hb->role == Role::Query)
                detail += hb->seq >= head_ ? fmt::format(", seq {}, caught up", hb->seq)
                                           : fmt::format(", seq {}, {} behind", hb->seq, head_ - hb->seq);
            else if (hb && hb->role == Role::Command)
                detail += fmt::format(", head {}", hb->seq);
            record(clock_.wallMs(), c.node, "UP", detail + ")");
        }
    }
    paceChecks();
}

Doc MonitorNode::statusBody() const {
    Doc nodes = Doc::array();
    for (const auto& n : dc_.config.nodes) {
        Doc row = {{"node", n.name}, {"role", roleName(n.role)}, {"endpoint", n.endpoint}};
        if (&n == dc_.node) {
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
        const bool follows = n.role == Role::Query || (n.role == Role::Command && hb && !hb->leads());
        row["lag"] = (hb && follows && head_ > hb->seq) ? head_ - hb->seq : 0;
        // A node that is not UP has no standing now (its last heartbeat may still claim the lead).
        if (hb && n.role == Role::Command && row["state"] == "UP") {
            row["standing"] = hb->standing;
            row["epoch"] = hb->epoch;
        }
        if (hb && hb->stuck()) row["stuck"] = hb->stuckText();
        row["rtt_us"] = health_.rttUs(n.name);
        if (auto it = refused_.find(n.name); it != refused_.end()) row["refused"] = it->second;
        row["since_ms"] = live.sinceMs(n.name);
        nodes.push_back(row);
    }
    // "route": the first gateway's, as `jupiter status` shows it; "routes": every gateway's.
    const auto gateways = dc_.config.nodesWith(Role::Gateway);
    Doc routes = Doc::object();
    for (const auto* g : gateways) routes[g->name] = routes_.route(g->name);
    return Doc{{"nodes", nodes}, {"route", routes_.route(gateways.front()->name)}, {"routes", routes}, {"head", head_},
               {"leader", leaders_.headLeader()}, {"epoch", leaders_.headEpoch()}};
}

void MonitorNode::onRequest() {
    serveRequests(router_, kDrainControl, [this](Request& req, Envelope& env) {
        if (!permitted(core_.gate(), router_, req, env, controlAction(env))) return;
        Envelope reply;
        if (env.kind == Kind::Control && env.name == "ping") {
            reply = core_.pong(env, head_);
        } else if (env.kind == Kind::Control && env.name == "status") {
            reply = makeReply(env, statusBody());
        } else {
            reply = makeErrorReply(env.name, env.id,
                                   makeError("unknown_message", fmt::format("the monitor answers status and ping, "
                                                                            "not {}", env.name)));
        }
        reply.node = dc_.node->name;
        sendReply(router_, req.route, reply);
    });
}

void MonitorNode::onHeartbeatTimer() {
    heartbeat_.publish(0);
    metrics_.sample(health_, head_, core_.gate());
    traffic_.sample();
    if (console_) publishConsoleState();
}

void MonitorNode::publishConsoleState() {
    if (console_->watched()) console_->publishState(consoleState().dump(-1, ' ', false, Doc::error_handler_t::replace));
}

Doc MonitorNode::consoleState() const {
    Doc state = statusBody();
    Doc gateways = Doc::array();
    for (const auto* g : dc_.config.nodesWith(Role::Gateway)) {
        const Heartbeat* hb = health_.liveness().last(g->name);
        gateways.push_back({{"gateway", g->name},
                            {"route", routes_.route(g->name)},
                            {"since_ms", hb ? hb->routeSinceMs : 0},
                            {"reason", hb ? hb->routeReason : std::string()}});
    }
    state["gateways"] = gateways;
    state["monitor"] = dc_.node->name;
    state["at_ms"] = clock_.wallMs();
    state["queries_per_s"] = traffic_.queriesPerSecond();
    state["commands_per_s"] = traffic_.commandsPerSecond();
    return state;
}

}  // namespace jupiter
