// Gateway implementation; see gateway_node.hpp.
#include "gateway/gateway_node.hpp"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "bus/bus_reader.hpp"
#include "bus/request.hpp"

namespace jupiter {
namespace {

// Who sends a command, as the command node sees it, with mode = "none" (no key: every client of the
// cluster is the same local one). With CURVE, the client's public key (Z85).
constexpr std::string_view kLocalClient = "local";

// What the gateway refuses of a query or command before passing it on.
std::optional<Error> requestFault(const EnvelopePeek& req) {
    if (req.id.empty())
        return makeError("bad_field",
                         "a request needs an id (envelope field 'id', 1-128 bytes): replies are matched to it, and a "
                         "command resent with it is applied once",
                         "id");
    if (req.hasClient)
        return makeError("bad_field",
                         "envelope field 'client' is set by the gateway (from the key this connection proved); a "
                         "client does not send it",
                         "client");
    return std::nullopt;
}

std::vector<std::string> replicaNames(const Config& c) {
    std::vector<std::string> out;
    for (const auto* n : c.nodesWith(Role::Query)) out.push_back(n->name);
    return out;
}

// The heartbeats a gateway reads (onBus): the command nodes', the brokers' and the replicas'; not
// the other gateways' nor the monitors', which neither the brokers nor it need to carry.
std::vector<std::string> busTopics(const Config& c) {
    std::vector<std::string> topics;
    for (Role role : {Role::Command, Role::Broker, Role::Query})
        for (const auto* n : c.nodesWith(role)) topics.push_back(std::string(kHeartbeatTopic) + n->name);
    return topics;
}

}  // namespace

GatewayNode::GatewayNode(zmq::context_t& ctx, const DaemonContext& dc, const Clock& clock)
    : dc_(dc),
      clock_(clock),
      core_(ctx, dc, clock),
      frontend_(core_.wiring().open(Link::Control)),
      replicas_(core_.wiring().openPool(Link::Replicas, ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED)),
      brokers_(core_.wiring().openPool(Link::CommandOutlet, ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED)),
      sub_(core_.wiring().open(Link::Subscribe, busTopics(dc.config))),
      pub_(core_.wiring().open(Link::Publish)),
      live_(clock, dc.config.heartbeatLiveness, dc.config.recoveryHeartbeats),
      selector_(replicaNames(dc.config), static_cast<uint64_t>(dc.config.maxLagEvents),
                static_cast<uint64_t>(dc.config.leaveLagEvents)),
      metrics_(*dc.metrics, replicaNames(dc.config)),
      queries_(clock, live_, selector_,
               QueryRouter::Settings{Millis(dc.config.queryTimeoutMs), Millis(1200), Millis(dc.config.clientTimeoutMs),
                                     Millis(500), Millis(dc.config.queryTimeoutMinMs), Millis(1000),
                                     dc.config.spreadQueries},
               [this](const std::string& replica, uint64_t token, const std::string& bytes) {
                   return connected_.count(replica) > 0 &&
                          sendFrames(replicas_.socket, {replica, encodeToken(token), bytes});
               },
               [this](const Frames& route, const std::string& bytes) { replyToClient(route, bytes); }),
      commandRouter_(clock,
                     CommandRouter::Settings{Millis(dc.config.commandTimeoutMs), Millis(dc.config.clientTimeoutMs),
                                             Millis(50)},
                     [this](uint64_t token, const std::string& bytes) { return sendCommand(token, bytes); },
                     [this](const Frames& route, const std::string& bytes) { replyToClient(route, bytes); }),
      heartbeat_(pub_, clock, *dc.node, Millis(dc.config.heartbeatIntervalMs)),
      bus_(clock, Millis(dc.config.heartbeatIntervalMs * dc.config.heartbeatLiveness)),
      leaders_(Millis(dc.config.heartbeatIntervalMs * dc.config.heartbeatLiveness), dc.config.replicated()),
      // Far longer than the heartbeat window (2 s by default): a ping waits behind the queries on
      // the same connection and behind a starved gateway's other input, and a replica wrongly
      // judged unreachable would be left for good until it answers; one really cut off only costs
      // the queries sent to it meanwhile a resend after their adaptive timeout.
      // A replica in no doubt is pinged every five heartbeat intervals, which checks the path from
      // here well within that limit.
      reach_(clock, std::max(Millis(2000), Millis(2 * dc.config.heartbeatIntervalMs * dc.config.heartbeatLiveness)),
             Millis(5 * dc.config.heartbeatIntervalMs)),
      startedAt_(clock.now()),
      settle_(clock, Millis(dc.config.heartbeatIntervalMs * 3 / 2)) {}

void GatewayNode::start() {
    queries_.setObserver(RouterObserver{
        [this](const PendingRequest& p, const std::string& reply) {
            metrics_.answered("query", p.name, reply, std::chrono::duration_cast<Micros>(clock_.now() - p.submittedAt));
            ++heartbeat_.info().queries;
        },
        [this](const std::string& replica, Micros latency) { metrics_.replicaAnswered(replica, latency); }});
    commandRouter_.setObserver(RouterObserver{
        [this](const PendingRequest& p, const std::string& reply) {
            metrics_.answered("command", p.name, reply,
                              std::chrono::duration_cast<Micros>(clock_.now() - p.submittedAt));
            ++heartbeat_.info().commands;
        },
        {}});
    // After each handler, paceTimer starts the 10 ms timer if a deadline may now pass before the
    // next beat (see there).
    auto paced = [this](void (GatewayNode::*handler)()) {
        return [this, handler] {
            (this->*handler)();
            paceTimer(false);
        };
    };
    core_.loop().onReadable(frontend_, paced(&GatewayNode::onClient));
    core_.loop().onReadable(replicas_.socket, paced(&GatewayNode::onReplica));
    core_.loop().onReadable(brokers_.socket, paced(&GatewayNode::onCommandReply));
    core_.loop().onReadable(brokers_.events, paced(&GatewayNode::onBrokerEvent));
    core_.loop().onReadable(sub_, paced(&GatewayNode::onBus));
    core_.loop().onReadable(replicas_.events, paced(&GatewayNode::onConnectionEvent));
    // What time alone changes (deadlines, liveness) is judged on the heartbeat's beat, sharing the
    // wake-up of the heartbeat and the pings, and every 10 ms while something may change before
    // the next beat (paceTimer).
    core_.loop().everyOnTheBeat(Millis(dc_.config.heartbeatIntervalMs), [this] {
        onBeat();
        paceTimer(true);
    });
    dc_.log->info("serving clients on {}; replicas in preference order: {}; routing {}", dc_.node->bind,
                  fmt::join(selector_.preference(), ", "),
                  dc_.config.spreadQueries ? "spread (every caught-up replica, fewest outstanding first)"
                                           : "primary (the first caught-up replica)");
    core_.start([this] { onHeartbeatTimer(); });
    paceTimer(false);  // the bus is silent until a broker is heard: its deadline counts from now
}

int GatewayNode::run() {
    start();
    return core_.serve();
}

void GatewayNode::replyToClient(const Frames& route, const std::string& bytes) {
    if (!sendReplyBytes(frontend_, route, bytes)) dc_.log->debug("a client left before its reply");
}

void GatewayNode::onClient() {
    drain(frontend_, kDrainRequests, [this](Frames&& frames) {
        auto req = splitRequest(std::move(frames));
        if (!req || refusedAsTooLarge(frontend_, *req)) return;
        // Queries and commands are routed on their header alone: the replica or the command node
        // validates the body (and answers a structured error), so the gateway does not decode
        // every body twice. Anything else is decoded in full here.
        if (auto peek = peekEnvelope(req->bytes); peek && (peek->kind == Kind::Query || peek->kind == Kind::Command)) {
            if (!permitted(core_.gate(), frontend_, *req, *peek, peek->kind == Kind::Query ? Action::Query : Action::Command))
                return;
            if (auto fault = requestFault(*peek)) {
                sendReply(frontend_, req->route, makeErrorReply(peek->name, peek->id, *fault));
                return;
            }
            if (peek->kind == Kind::Query) {
                queries_.submit(std::move(req->route), *peek, std::move(req->bytes));
            } else {
                // The command carries who sent it: the command node keeps request ids per client.
                commandRouter_.submit(std::move(req->route), *peek,
                                      withClient(req->bytes, req->peer.empty() ? kLocalClient : req->peer));
            }
            return;
        }
        auto env = decodeOrRefuse(frontend_, *req);
        if (!env) return;
        if (!permitted(core_.gate(), frontend_, *req, *env, controlAction(*env))) return;
        if (env->kind == Kind::Control && env->name == "ping") {
            sendReply(frontend_, req->route, core_.pong(*env, queries_.latestHead()));
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
        std::string replica(view(frames[0]));
        if (env->kind == Kind::Control && env->name == "pong") {
            onPong(replica, view(frames[2]));
            return;
        }
        queries_.onReply(replica, *token, std::string(view(frames[2])), *env);
    });
}

// Our own pings to the replicas: their answers are signs of life that do not depend on the bus, so
// a gateway serves even when it has never heard a heartbeat (all brokers down since it started).
// Each heartbeat interval while a replica is in doubt; otherwise now and then (Reach::pingDue).
void GatewayNode::pingReplicas() {
    Envelope ping;
    ping.kind = Kind::Control;
    ping.name = "ping";
    ping.id = fmt::format("gw-ping-{}", ++pings_);
    const std::string bytes = encodeEnvelope(ping);
    for (const auto& replica : connected_)
        if (reach_.pingDue(replica, inDoubt(replica)) && sendFrames(replicas_.socket, {replica, encodeToken(0), bytes}))
            reach_.onPingSent(replica);
}

// A replica is in doubt while the bus is silent, while it is not UP, while its last sign of life
// is late (Liveness::onTime), or while queries wait on it: then our pings are what judges it, soonest.
bool GatewayNode::inDoubt(const std::string& replica) const {
    return !bus_.up() || !live_.isUp(replica) || !live_.onTime(replica) || queries_.outstanding(replica) > 0;
}

void GatewayNode::onPong(const std::string& replica, std::string_view bytes) {
    auto env = decodeEnvelope(bytes);
    if (!env || !env->body.contains("pid")) return;
    settle_.onReplicaBeat();
    reach_.onPong(replica);
    const auto intervalMs = static_cast<uint64_t>(dc_.config.heartbeatIntervalMs);
    if (auto change = live_.onPong(replica, env->body.value("pid", uint64_t{0}), env->body.value("seq", uint64_t{0}),
                                   intervalMs))
        dc_.log->info("{} {} ({}, answering our pings)", change->node, stateName(change->to), change->reason);
    updateRoute();
}

// Replies from the command node via a broker: [broker, token, envelope].
void GatewayNode::onCommandReply() {
    drain(brokers_.socket, kDrainRequests, [this](Frames&& frames) {
        if (frames.size() != 3) return;
        auto token = decodeToken(view(frames[1]));
        auto env = peekEnvelope(view(frames[2]));
        if (!token || !env) return;
        commandRouter_.onReply(*token, std::string(view(frames[2])), *env);
    });
}

// A command goes to the next usable broker in turn (either hands it to the writer); a broker that
// refuses the send (its connection just went) is skipped.
std::optional<std::string> GatewayNode::sendCommand(uint64_t token, const std::string& bytes) {
    if (brokersUsable_.empty()) return std::nullopt;
    for (std::size_t k = 0; k < brokersUsable_.size(); ++k) {
        auto it = brokersUsable_.begin();
        std::advance(it, static_cast<std::ptrdiff_t>(nextBroker_++ % brokersUsable_.size()));
        if (sendFrames(brokers_.socket, {*it, encodeToken(token), bytes})) return *it;
    }
    return std::nullopt;
}

void GatewayNode::onBrokerEvent() {
    while (auto ev = recvSocketEvent(brokers_.events)) {
        auto it = brokers_.nodeByEndpoint.find(ev->endpoint);
        if (it == brokers_.nodeByEndpoint.end()) continue;
        if (ev->event == ZMQ_EVENT_DISCONNECTED) brokersConnected_.erase(it->second);
        else if (ev->event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) brokersConnected_.insert(it->second);
    }
    updateBrokers();
}

// Re-judges which brokers can take commands; commands in flight through one that no longer can
// (connection lost, or heartbeat missed: stopped or cut off) are resent through another at once.
// Before any broker is heard (just started), the connected ones are tried; once none has been heard
// for the liveness window, none is used and commands are answered cut_off (onTimer).
void GatewayNode::updateBrokers() {
    std::set<std::string> usable;
    for (const auto& b : brokersConnected_)
        if (bus_.fresh(b) || (!bus_.up() && !commandRouter_.cutOff())) usable.insert(b);
    if (usable == brokersUsable_) return;
    for (const auto& b : brokersUsable_)
        if (!usable.count(b)) dc_.log->warn("not sending commands through {} (connection lost or heartbeat missed)", b);
    for (const auto& b : usable)
        if (!brokersUsable_.count(b)) dc_.log->info("sending commands through {}", b);
    brokersUsable_ = std::move(usable);
    commandRouter_.onBrokersChanged(brokersUsable_);
}

void GatewayNode::onBus() {
    bool busBack = false;
    drainBus(sub_, kDrainRequests, dc_.config, [this, &busBack](const Heartbeat& hb) {
        switch (hb.role) {
            case Role::Command:
                if (leaders_.onHeartbeat(hb, clock_.now())) {
                    queries_.setHead(leaders_.head());
                    if (leaders_.headLeader() != commandLeader_ || leaders_.headEpoch() != commandEpoch_) {
                        const bool first = commandLeader_.empty();
                        commandLeader_ = leaders_.headLeader();
                        commandEpoch_ = leaders_.headEpoch();
                        if (!first) commandRouter_.onLeaderChanged();
                    }
                }
                break;
            case Role::Broker:
                if (bus_.onBrokerBeat(hb.node)) {
                    live_.refreshAll();
                    dc_.log->info("the bus is up ({} heartbeat)", hb.node);
                    busBack = true;
                }
                break;
            case Role::Query:
                settle_.onReplicaBeat();
                // Alive, but not answering us: its heartbeats must not bring it back into the route.
                if (reach_.cutOff(hb.node)) break;
                if (auto change = live_.onHeartbeat(hb))
                    dc_.log->info("{} {} ({})", change->node, stateName(change->to), change->reason);
                break;
            default: break;
        }
    });
    // A broker heard again takes commands at once, not at the next turn of the timer.
    if (busBack) judgeCutOff();
    updateBrokers();
    updateRoute();
}

void GatewayNode::onConnectionEvent() {
    // Every loss read in this turn is judged before the route is: replicas lost together (a host,
    // a switch) give one REROUTE to the survivor, not a walk through each of them.
    bool lost = false;
    while (auto ev = recvSocketEvent(replicas_.events)) {
        auto it = replicas_.nodeByEndpoint.find(ev->endpoint);
        if (it == replicas_.nodeByEndpoint.end()) continue;
        if (ev->event == ZMQ_EVENT_DISCONNECTED) {
            connected_.erase(it->second);
            reach_.forget(it->second);
            markReplicaDown(it->second, "connection lost", "connection");
            lost = true;
        } else if (ev->event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            connected_.insert(it->second);
            dc_.log->debug("connected to {}", it->second);
        }
    }
    if (lost) updateRoute();
}

void GatewayNode::replicaDown(const std::string& replica, const std::string& reason, std::string_view metricReason) {
    markReplicaDown(replica, reason, metricReason);
    updateRoute();
}

void GatewayNode::markReplicaDown(const std::string& replica, const std::string& reason, std::string_view metricReason) {
    if (auto change = live_.markDown(replica, reason)) {
        dc_.log->warn("{} {} ({})", change->node, stateName(change->to), change->reason);
        metrics_.replicaDown(replica, metricReason);
    }
    queries_.onReplicaLost(replica);
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
        metrics_.routeChanged(change->to);
        // Tell the monitor now rather than at the next heartbeat.
        onHeartbeatTimer();
    }
}

void GatewayNode::onTimer() {
    if (auto silent = bus_.tick())
        dc_.log->warn("no broker heartbeat for {} ms: judging replicas by our own pings until the bus is back "
                      "(check the brokers: jupiter status)", silent->count());
    // The replicas answer our pings whether or not any broker is up, so their silence means
    // something even while the bus is silent.
    for (const auto& change : live_.tick()) {
        dc_.log->warn("{} {} ({})", change.node, stateName(change.to), change.reason);
        metrics_.replicaDown(change.node, "heartbeat");
        queries_.onReplicaLost(change.node);
    }
    for (const auto& replica : reach_.newlyCutOff())
        replicaDown(replica, fmt::format("no answer to our pings for {} ms while its heartbeats may still arrive: cut "
                                         "off from this gateway", reach_.waited(replica).count()),
                    "unreachable");
    judgeCutOff();
    updateRoute();
    updateBrokers();
    queries_.tick();
    commandRouter_.tick();
}

// With no broker heard, commands cannot be passed on: say so at once, so clients use another gateway.
void GatewayNode::judgeCutOff() {
    const bool cutOff = !bus_.up() && clock_.now() - startedAt_ >= bus_.deadline();
    if (cutOff != commandRouter_.cutOff()) {
        if (cutOff)
            dc_.log->warn("no broker heard for over {} ms: answering commands with {} so that clients send them "
                          "through another gateway (check the brokers and this host's network: jupiter status)",
                          bus_.deadline().count(), kErrorCutOff);
        else
            dc_.log->info("a broker is heard again: passing commands on");
        commandRouter_.setCutOff(cutOff ? fmt::format("no broker heard for over {} ms", bus_.deadline().count()) : "");
    }
}

void GatewayNode::onHeartbeatTimer() {
    heartbeat_.publish(queries_.latestHead());
    metrics_.sample(live_, queries_.head(), queries_.retries(), commandRouter_.resends(), core_.gate());
}

void GatewayNode::onBeat() {
    onTimer();
    pingReplicas();
}

// Query attempts (50 ms and up), command resends and the verdicts on replicas and brokers are
// judged to the 10 ms, as when the timer ran always; but a 10 ms timer is a hundred wake-ups a
// second, most of an idle gateway's CPU. So it runs only while some deadline may pass before the
// next beat: requests in flight, a first route not yet chosen, pings waiting for their answer, a
// heartbeat (a replica's that is UP, or a broker's) late enough to pass its deadline within the
// next interval, or a bus silent since start that is not yet called cut off. Otherwise nothing
// that time changes can change before the beat.
// Only a turn of onTimer may stop the timer (`mayStop`): a handler that ran between a deadline and
// the timer's next turn would otherwise stop it before onTimer saw that deadline pass.
void GatewayNode::paceTimer(bool mayStop) {
    const Millis horizon(dc_.config.heartbeatIntervalMs * 3 / 2);
    const bool busy = queries_.inFlight() > 0 || commandRouter_.inFlight() > 0 || settle_.settling() ||
                      reach_.awaiting() || bus_.staleWithin(horizon) || (!bus_.up() && !commandRouter_.cutOff()) ||
                      live_.upAndLate();
    if (busy && !fastTimer_) {
        fastTimer_ = core_.loop().everyOnTheBeat(Millis(10), [this] {
            onTimer();
            paceTimer(true);
        });
    } else if (!busy && fastTimer_ && mayStop) {
        core_.loop().cancel(*fastTimer_);
        fastTimer_.reset();
    }
}

}  // namespace jupiter
