// The one place that decides how every socket of a Jupiter process is made and wired: its type,
// its options, and which endpoints of which peers (found by role in the configuration) it binds or
// connects. Daemons ask for a socket by purpose (Link) and never bind, connect or set options
// themselves, so a cross-cutting rule (keys on every link, a second broker) is a change here.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include "common/config.hpp"
#include "security/credentials.hpp"
#include "security/gatekeeper.hpp"

namespace jupiter {

enum class Link {
    Control,          // any node: ROUTER bound at its own endpoint (pings, queries, replay, status)
    BrokerCommands,   // broker: ROUTER bound at `commands`; gateways connect
    BrokerBackend,    // broker: ROUTER bound at `command_backend`; command nodes connect
    BrokerEventsIn,   // broker: XSUB bound at `events_in`; publishers connect
    BrokerEventsOut,  // broker: XPUB bound at `events_out`; subscribers connect
    Publish,          // PUB connected to every broker's events_in (events, heartbeats, transitions)
    Subscribe,        // SUB connected to every broker's events_out
    CommandIntake,    // command node: ROUTER connected to every broker's command_backend (see intakeRoutingId)
    CommandOutlet,    // gateway: ROUTER connected to every broker's commands, each addressed by its name
    Replicas,         // gateway: ROUTER connected to every query node, each addressed by its name
    Probes,           // monitor: ROUTER connected to every other node, each addressed by its name
    CommandPeers,     // command node: ROUTER connected to every other command node, each addressed by its name
    CommandSources,   // query node: ROUTER connected to every command node, each addressed by its name (replay
                      // and state copies from the leader, head probes)
};

// A ROUTER connected to several peers, with a PAIR socket receiving its connection events.
struct PeerPool {
    zmq::socket_t socket;
    zmq::socket_t events;                                // see recvSocketEvent
    std::vector<std::string> peers;                      // their names, in configured order
    std::map<std::string, std::string> nodeByEndpoint;   // to name the peer of an event
};

class Wiring {
public:
    // Takes the node's gatekeeper, which must exist (its ZAP handler bound) before any socket is.
    Wiring(zmq::context_t& ctx, const Config& config, const NodeConfig& self, Gatekeeper& gate);

    // The socket for `link`, bound or connected (pool links: see openPool). A bind that fails throws with a message naming
    // the node, the endpoint and how to move the cluster to free ports. `topics` (Subscribe only)
    // are subscribed before connecting.
    zmq::socket_t open(Link link, const std::vector<std::string>& topics = {}) const;
    // A Replicas, Probes, CommandPeers, CommandSources or CommandOutlet socket whose connection events (a ZMQ_EVENT_* mask) are
    // watched from before it connects, so that no handshake or disconnect is missed.
    PeerPool openPool(Link link, int eventMask) const;
    // The nodes `link` connects to, in configured order.
    std::vector<const NodeConfig*> peers(Link link) const;

    const Config& config() const { return config_; }
    const NodeConfig& self() const { return self_; }

private:
    // Binds as a server of `zapDomain` (the socket's purpose, by which ZAP admits peers).
    void bindOrExplain(zmq::socket_t& s, const std::string& endpoint, std::string_view what,
                       std::string_view zapDomain) const;
    void connectPeers(zmq::socket_t& s, Link link) const;

    zmq::context_t& ctx_;
    const Config& config_;
    const NodeConfig& self_;
    Gatekeeper& gate_;
    const Credentials& credentials_;
};

// The routing id a command node's intake connects with: its name, '#', and 64 random bits. A broker
// addresses the writer by the routing id its hello arrived on, and believes the name only from the
// key (mode none: from the id, every local peer being trusted).
std::string intakeRoutingId(std::string_view node);
// What a command node sends each broker on its intake every heartbeat interval, so that the broker
// knows the connection (one frame after the broker's routing id).
inline constexpr std::string_view kIntakeHello = "hello";
std::string_view nodeOfIntakeRoutingId(std::string_view routingId);

// A bus reader that is not a node (`jupiter watch`): a SUB connected to every broker's events_out.
zmq::socket_t openBusSubscriber(zmq::context_t& ctx, const Config& config, const Credentials& credentials,
                                const std::vector<std::string>& topics);

// A client's socket (the CLI, benchmarks, the client library): a DEALER connected to `endpoint`
// (throws std::runtime_error, in curve mode, for an endpoint of no configured node).
zmq::socket_t openClientSocket(zmq::context_t& ctx, const Credentials& credentials, const std::string& endpoint);
// The same, with its connection events (a ZMQ_EVENT_* mask) watched from before it connects
// (see recvSocketEvent): a client learns that its key was refused from ZMQ_EVENT_HANDSHAKE_FAILED_AUTH.
struct WatchedSocket {
    zmq::socket_t socket;
    zmq::socket_t events;
};
// `reconnectEvery` (0: libzmq's 100 ms) is how soon a refused connection is tried again.
WatchedSocket openWatchedClientSocket(zmq::context_t& ctx, const Credentials& credentials, const std::string& endpoint,
                                      int eventMask, Millis reconnectEvery = Millis(0));

}  // namespace jupiter
