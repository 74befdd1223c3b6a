// Broker implementation; see broker.hpp.
#include "broker/broker.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "bus/request.hpp"
#include "common/printable.hpp"

namespace jupiter {

Broker::Broker(zmq::context_t& ctx, const DaemonContext& dc, const Clock& clock)
    : dc_(dc),
      core_(ctx, dc, clock),
      metrics_(*dc.metrics),
      clock_(clock),
      writer_(dc.config.firstCommandNode()->name),
      leaders_(Millis(dc.config.heartbeatIntervalMs * dc.config.heartbeatLiveness), dc.config.replicated()),
      frontend_(core_.wiring().open(Link::BrokerCommands)),
      backend_(core_.wiring().open(Link::BrokerBackend)),
      eventsIn_(core_.wiring().open(Link::BrokerEventsIn)),
      eventsOut_(core_.wiring().open(Link::BrokerEventsOut)),
      control_(core_.wiring().open(Link::Control)),
      heartbeat_(eventsOut_, clock, *dc.node, Millis(dc.config.heartbeatIntervalMs)) {
    sendFrames(eventsIn_, {std::string_view("\x01", 1)});  // every topic, from every publisher
}

void Broker::start() {
    core_.loop().onReadable(frontend_, [this] { onCommandFrontend(); });
    core_.loop().onReadable(backend_, [this] { onCommandBackend(); });
    core_.loop().onReadable(eventsIn_, [this] { onEventsIn(); });
    core_.loop().onReadable(eventsOut_, [this] { onEventsOut(); });
    core_.loop().onReadable(control_, [this] { onControl(); });
    core_.start([this] { onHeartbeatTimer(); });
    const auto& self = *dc_.node;
    dc_.log->info("relaying commands {} -> {} (to {}), events {} -> {}",
                  self.channel(BrokerChannel::Commands).bind, self.channel(BrokerChannel::CommandBackend).bind,
                  dc_.config.replicated() ? "the leading command node" : writer_, self.channel(BrokerChannel::EventsIn).bind, self.channel(BrokerChannel::EventsOut).bind);
}

int Broker::run() {
    start();
    return core_.serve();
}

std::optional<std::string> Broker::target() const {
    if (!dc_.config.replicated()) return writer_;
    return leaders_.leader(clock_.now());
}

std::string Broker::noLeaderReason() const {
    const auto claim = leaders_.unseconded(clock_.now());
    if (!claim) return "no command node leads now (an election is under way); the request is retried";
    std::vector<std::string> others;
    for (const auto* n : dc_.config.nodesWith(Role::Command))
        if (n->name != claim->node) others.push_back(n->name);
    return fmt::format("{} claims the lead (epoch {}) but no standby names it as etcd's leader ({} silent or "
                       "elsewhere): a leader needs a live standby; the request is retried",
                       claim->node, claim->epoch, fmt::join(others, ", "));
}

// Commands from gateways: [gateway id, token..., envelope] go to the writer as
// [writer's connection, gateway id, token..., envelope].
void Broker::onCommandFrontend() {
    const auto to = target();
    drain(frontend_, kDrainRequests, [this, &to](Frames&& frames) {
        if (frames.size() < 2 || !core_.gate().authorise(frames.back(), Action::RelayCommand)) return;
        const auto route = to ? routes_.find(*to) : routes_.end();
        if (route != routes_.end()) {
            Frames out;
            out.reserve(frames.size() + 1);
            out.push_back(msg(route->second));
            for (auto& f : frames) out.push_back(std::move(f));
            if (sendFrames(backend_, out)) {
                metrics_.relayedCommand();
                return;
            }
            // The writer's connection is gone: say so now instead of letting the gateway wait.
            routes_.erase(route);
            out.erase(out.begin());
            frames = std::move(out);
        }
        auto req = splitRequest(std::move(frames));
        if (!req) return;
        const std::string why = to ? fmt::format("the command node {} is not connected to the broker; the request is "
                                                 "retried", *to)
                                   : noLeaderReason();
        sendReply(frontend_, req->route, makeRefusal(req->bytes, makeError("unavailable", why)));
        metrics_.refusedCommand();
    });
}

// From command nodes: a hello [connection, "hello"] (each heartbeat interval), or a reply
// [connection, gateway id, token..., envelope] back to that gateway. Either makes the connection
// the one commands for that node go to; which node it is, is the key's to say (mode none: the
// routing id's), so a peer that took another node's routing id, or claims its name, gets nothing.
void Broker::onCommandBackend() {
    drain(backend_, kDrainRequests, [this](Frames&& frames) {
        if (frames.size() < 2) return;
        const Identity* from = core_.gate().authorise(frames.back(), Action::ServeCommands);
        if (!from) return;
        const std::string_view connection = view(frames[0]);
        const NodeConfig* node =
            dc_.config.node(core_.gate().credentials().curve() ? std::string_view(from->name) : nodeOfIntakeRoutingId(connection));
        if (!node || node->role != Role::Command) {
            core_.gate().refuse(from, "a message on the command backend from a peer that is no command node");
            return;
        }
        auto [route, added] = routes_.try_emplace(node->name, connection);
        if (added) dc_.log->info("command node {} connected", node->name);
        else route->second = connection;
        if (frames.size() == 2 && view(frames[1]) == kIntakeHello) return;
        if (frames.size() < 3) return;
        frames.erase(frames.begin());
        if (!sendFrames(frontend_, frames)) dc_.log->debug("dropped a reply for a gateway that is gone");
        else metrics_.relayedReply();
    });
}

// Each topic has one kind of publisher: events from the writing command node, heartbeats from the node
// they name, transitions from the monitor. Anything else is dropped, so a compromised or
// misconfigured node cannot speak for another.
void Broker::onEventsIn() {
    drain(eventsIn_, kDrainBus, [this](Frames&& frames) {
        if (frames.empty()) return;
        const std::string_view topic = view(frames[0]);
        const Identity* from = nullptr;
        if (topic == kEventsTopic) {
            from = core_.gate().authorise(frames[0], Action::PublishEvents);
            // Events are the writer's alone: the command node commands go to now. A standby's, or a
            // deposed leader's, are dropped (replicas replay what they miss from an event log).
            const auto writer = target();
            if (from && core_.gate().credentials().curve() && (!writer || from->name != *writer)) {
                core_.gate().refuse(from, fmt::format("events from {}, which does not write now (the broker follows {})",
                                               from->name, writer.value_or("no leader")));
                from = nullptr;
            }
        } else if (topic.starts_with(kHeartbeatTopic)) {
            from = core_.gate().authorise(frames[0], Action::PublishHeartbeat);
            if (from && core_.gate().credentials().curve() && topic.substr(kHeartbeatTopic.size()) != from->name) {
                core_.gate().refuse(from, fmt::format("a heartbeat under the name {}", topic.substr(kHeartbeatTopic.size())));
                from = nullptr;
            }
            if (from && frames.size() >= 2 && dc_.config.replicated()) noteLeader(topic, frames[1]);
        } else if (topic == kTransitionTopic) {
            from = core_.gate().authorise(frames[0], Action::PublishTransition);
        } else {
            if (const Identity* who = core_.gate().sender(senderKeyOf(frames[0]), "a message"))
                core_.gate().refuse(who, fmt::format("a message on an unknown topic ({})", printable(topic, 20)));
        }
        if (from && sendFrames(eventsOut_, frames)) metrics_.relayedBus();
    });
}

void Broker::noteLeader(std::string_view topic, const zmq::message_t& body) {
    const NodeConfig* node = dc_.config.node(topic.substr(kHeartbeatTopic.size()));
    if (!node || node->role != Role::Command) return;
    auto env = decodeEnvelope(view(body));
    if (!env) return;
    auto hb = heartbeatFrom(*env);
    if (hb && hb->node == node->name) leaders_.onHeartbeat(*hb, clock_.now());
}

// Subscriptions are the broker's to grant (XPUB_MANUAL): only to topics that exist, each from a
// role that may read it; the rest stay with the peer's connection, unserved, and are counted as
// refused. Publishers send everything to the broker (it subscribed to all), so nothing a
// subscriber asks for travels further. A subscription longer than the socket's largest message
// closes the connection before it reaches libzmq's subscription tree.
void Broker::onEventsOut() {
    drain(eventsOut_, kDrainRequests, [this](Frames&& frames) {
        if (frames.size() != 1 || frames[0].size() == 0) return;
        const std::string_view m = view(frames[0]);
        const std::string_view topic = m.substr(1);
        if (m[0] == 0) {
            eventsOut_.set(zmq::sockopt::unsubscribe, topic);  // nothing when the pipe is gone
            return;
        }
        if (m[0] != 1) return;
        const std::optional<Action> read = subscriptionAction(topic);
        if (!read) {
            if (const Identity* who = core_.gate().sender(senderKeyOf(frames[0]), "a subscription"))
                core_.gate().refuse(who, fmt::format("a subscription to an unknown topic ({})", printable(topic)));
            return;
        }
        if (core_.gate().authorise(frames[0], *read)) eventsOut_.set(zmq::sockopt::subscribe, topic);
    });
}

std::optional<Action> Broker::subscriptionAction(std::string_view topic) const {
    if (topic == kEventsTopic) return Action::ReadEvents;
    if (topic == kTransitionTopic) return Action::ReadTransitions;
    if (topic == kHeartbeatTopic) return Action::ReadHeartbeats;
    if (topic.starts_with(kHeartbeatTopic) && dc_.config.node(topic.substr(kHeartbeatTopic.size())))
        return Action::ReadHeartbeats;
    return std::nullopt;
}

void Broker::onControl() {
    serveRequests(control_, kDrainControl, [this](Request& req, Envelope& env) {
        if (env.kind == Kind::Control && env.name == "ping") {
            if (!permitted(core_.gate(), control_, req, env, Action::Ping)) return;
            sendReply(control_, req.route, core_.pong(env, 0));
        } else {
            sendReply(control_, req.route,
                      makeErrorReply(env.name, env.id,
                                     makeError("unknown_message", fmt::format("the broker answers only ping; send {} "
                                                                              "to the gateway", env.name))));
        }
    });
}

void Broker::onHeartbeatTimer() {
    heartbeat_.publish(0);
    metrics_.sample(core_.gate());
}

}  // namespace jupiter
