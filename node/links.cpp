// Socket wiring; see links.hpp.
#include "node/links.hpp"

#include <random>
#include <stdexcept>

#include <fmt/format.h>

#include "common/zmq_util.hpp"

namespace jupiter {
namespace {

// Event bursts are large; a drop is repaired by replay, but fewer drops mean less replay.
constexpr int kBusHighWater = 200000;
// Reconnect quickly to a peer that restarts (pools of replicas and probes).
constexpr int kReconnectMs = 50;
constexpr int kReconnectMaxMs = 500;

std::vector<const NodeConfig*> brokersOf(const Config& c) { return c.nodesWith(Role::Broker); }

}  // namespace

std::string intakeRoutingId(std::string_view node) {
    std::random_device rd;
    return fmt::format("{}#{:08x}{:08x}", node, rd(), rd());
}

std::string_view nodeOfIntakeRoutingId(std::string_view routingId) {
    return routingId.substr(0, routingId.find('#'));
}

Wiring::Wiring(zmq::context_t& ctx, const Config& config, const NodeConfig& self, Gatekeeper& gate)
    : ctx_(ctx), config_(config), self_(self), gate_(gate), credentials_(gate.credentials()) {}

std::vector<const NodeConfig*> Wiring::peers(Link link) const {
    switch (link) {
        case Link::Publish:
        case Link::Subscribe:
        case Link::CommandIntake:
        case Link::CommandOutlet:
            return brokersOf(config_);
        case Link::Replicas:
            return config_.nodesWith(Role::Query);
        case Link::Probes: {
            std::vector<const NodeConfig*> out;
            for (const auto& n : config_.nodes)
                if (&n != &self_) out.push_back(&n);
            return out;
        }
        case Link::CommandSources:
            return config_.nodesWith(Role::Command);
        case Link::CommandPeers: {
            std::vector<const NodeConfig*> out;
            for (const auto* n : config_.nodesWith(Role::Command))
                if (n != &self_) out.push_back(n);
            return out;
        }
        default:
            return {};  // bound sockets have no peers of their own
    }
}

void Wiring::bindOrExplain(zmq::socket_t& s, const std::string& endpoint, std::string_view what,
                           std::string_view zapDomain) const {
    credentials_.serve(s, zapDomain);
    try {
        s.bind(endpoint);
        gate_.watch(s, zapDomain);  // bound: the watch learns its port (no peer has connected yet)
    } catch (const zmq::error_t& e) {
        throw std::runtime_error(fmt::format(
            "cannot bind {} {} at {}: {} (is another cluster using this port? change it in {}, or start the cluster "
            "on other ports with `jupiter up --dir NEW_DIR --base-port P`)",
            self_.name, what, endpoint, e.what(),
            config_.source.empty() ? "the configuration" : config_.source.string()));
    }
}

void Wiring::connectPeers(zmq::socket_t& s, Link link) const {
    for (const auto* peer : peers(link)) {
        switch (link) {
            case Link::Publish: credentials_.connect(s, peer->channel(BrokerChannel::EventsIn).connect); break;
            case Link::CommandIntake:
                s.set(zmq::sockopt::connect_routing_id, peer->name);  // the command node's hello names the broker
                credentials_.connect(s, peer->channel(BrokerChannel::CommandBackend).connect);
                break;
            case Link::CommandOutlet:
                s.set(zmq::sockopt::connect_routing_id, peer->name);  // the gateway picks the broker
                credentials_.connect(s, peer->channel(BrokerChannel::Commands).connect);
                break;
            case Link::Replicas:
            case Link::Probes:
            case Link::CommandPeers:
            case Link::CommandSources:
                // Each peer is addressed by its name on this ROUTER.
                s.set(zmq::sockopt::connect_routing_id, peer->name);
                credentials_.connect(s, peer->endpoint);
                break;
            default: break;
        }
    }
}

zmq::socket_t Wiring::open(Link link, const std::vector<std::string>& topics) const {
    switch (link) {
        case Link::Control: {
            auto s = makeSocket(ctx_, zmq::socket_type::router);
            s.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(kMaxRequestReadBytes));  // too_large is answered
            bindOrExplain(s, self_.bind, "endpoint", "control");
            return s;
        }
        case Link::BrokerCommands: {
            auto s = makeSocket(ctx_, zmq::socket_type::router);
            s.set(zmq::sockopt::router_mandatory, 1);  // a reply for a gateway that left fails at once
            s.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(kMaxRequestReadBytes));
            bindOrExplain(s, self_.channel(BrokerChannel::Commands).bind, "commands", "commands");
            return s;
        }
        case Link::BrokerBackend: {
            // A ROUTER, not a DEALER: a DEALER would share commands round-robin among every command
            // node connected, and two of them would number events at once. Commands are addressed
            // to the connection the writer's key last spoke from (see Broker::onCommandBackend);
            // a send while it is not connected fails at once (mandatory). No handover: a peer
            // naming an existing routing id is ignored, never given that connection's commands.
            auto s = makeSocket(ctx_, zmq::socket_type::router);
            s.set(zmq::sockopt::router_mandatory, 1);
            s.set(zmq::sockopt::router_handover, 0);
            s.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(kMaxRequestReadBytes));  // command replies
            bindOrExplain(s, self_.channel(BrokerChannel::CommandBackend).bind, "command_backend", "command_backend");
            return s;
        }
        case Link::BrokerEventsIn: {
            auto s = makeSocket(ctx_, zmq::socket_type::xsub);
            s.set(zmq::sockopt::rcvhwm, kBusHighWater);
            s.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(kMaxBusMessageBytes));
            bindOrExplain(s, self_.channel(BrokerChannel::EventsIn).bind, "events_in", "events_in");
            return s;
        }
        case Link::BrokerEventsOut: {
            // The broker grants each subscription itself (Broker::onEventsOut); a subscriber sends
            // nothing but subscriptions, each a short topic.
            auto s = makeSocket(ctx_, zmq::socket_type::xpub);
            s.set(zmq::sockopt::sndhwm, kBusHighWater);
            s.set(zmq::sockopt::xpub_manual, 1);
            s.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(kMaxSubscriptionBytes));
            bindOrExplain(s, self_.channel(BrokerChannel::EventsOut).bind, "events_out", "events_out");
            return s;
        }
        case Link::Publish: {
            auto s = makeSocket(ctx_, zmq::socket_type::pub);
            s.set(zmq::sockopt::sndhwm, kBusHighWater);
            connectPeers(s, link);
            return s;
        }
        case Link::Subscribe:
            return openBusSubscriber(ctx_, config_, credentials_, topics);
        case Link::CommandIntake: {
            // Known to brokers by a routing id of its own process (name#random) that no other peer
            // can know in advance, so none can take it; brokers learn it from our hello (and trust
            // it for our name only if the hello came with our key).
            auto s = makeSocket(ctx_, zmq::socket_type::router);
            s.set(zmq::sockopt::routing_id, intakeRoutingId(self_.name));
            connectPeers(s, link);
            return s;
        }
        case Link::CommandOutlet:
        case Link::Replicas:
        case Link::Probes:
        case Link::CommandPeers:
        case Link::CommandSources:
            break;  // openPool
    }
    throw std::logic_error("Wiring::open: a pool link is opened with openPool");
}

PeerPool Wiring::openPool(Link link, int eventMask) const {
    if (link != Link::Replicas && link != Link::Probes && link != Link::CommandOutlet && link != Link::CommandPeers &&
        link != Link::CommandSources)
        throw std::logic_error("openPool: not a pool link");
    PeerPool pool{makeSocket(ctx_, zmq::socket_type::router), zmq::socket_t(), {}, {}};
    pool.socket.set(zmq::sockopt::router_mandatory, 1);  // a send to a vanished peer fails instead of vanishing
    pool.socket.set(zmq::sockopt::reconnect_ivl, kReconnectMs);
    pool.socket.set(zmq::sockopt::reconnect_ivl_max, kReconnectMaxMs);
    // A standby's fetch answers carry the leader's log entries as frames of any size (a group of
    // commands is one entry); only command nodes it dialled, proven by their keys, can send here.
    if (link == Link::CommandPeers) pool.socket.set(zmq::sockopt::maxmsgsize, int64_t{-1});
    if (eventMask != 0) pool.events = watchEvents(ctx_, pool.socket, eventMask);
    for (const auto* peer : peers(link)) {
        pool.peers.push_back(peer->name);
        const auto& ep = link == Link::CommandOutlet ? peer->channel(BrokerChannel::Commands).connect : peer->endpoint;
        pool.nodeByEndpoint[ep] = peer->name;
    }
    connectPeers(pool.socket, link);
    return pool;
}

zmq::socket_t openBusSubscriber(zmq::context_t& ctx, const Config& config, const Credentials& credentials,
                                const std::vector<std::string>& topics) {
    auto s = makeSocket(ctx, zmq::socket_type::sub);
    s.set(zmq::sockopt::rcvhwm, kBusHighWater);
    for (const auto& t : topics) s.set(zmq::sockopt::subscribe, t);
    for (const auto* broker : brokersOf(config)) credentials.connect(s, broker->channel(BrokerChannel::EventsOut).connect);
    return s;
}

zmq::socket_t openClientSocket(zmq::context_t& ctx, const Credentials& credentials, const std::string& endpoint) {
    auto s = makeSocket(ctx, zmq::socket_type::dealer);
    credentials.connect(s, endpoint);
    return s;
}

}  // namespace jupiter

namespace jupiter {

WatchedSocket openWatchedClientSocket(zmq::context_t& ctx, const Credentials& credentials, const std::string& endpoint,
                                      int eventMask, Millis reconnectEvery) {
    auto s = makeSocket(ctx, zmq::socket_type::dealer);
    if (reconnectEvery.count() > 0) s.set(zmq::sockopt::reconnect_ivl, static_cast<int>(reconnectEvery.count()));
    auto events = watchEvents(ctx, s, eventMask);
    credentials.connect(s, endpoint);
    return {std::move(s), std::move(events)};
}

}  // namespace jupiter
