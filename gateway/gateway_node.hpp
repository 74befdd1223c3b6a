// The gateway daemon: one ROUTER endpoint for clients' commands and queries. Commands go to the
// brokers (CommandRouter); queries go to the live replica the heartbeats point at (QueryRouter,
// ReplicaSelector), over one ROUTER connected to every replica with ZMQ_ROUTER_MANDATORY, so a
// send to a vanished replica fails instead of vanishing, and a socket monitor that reports lost
// connections at once. It depends on no other node's opinion (not the monitor's) to route.
#pragma once

#include <map>
#include <optional>
#include <set>

#include <zmq.hpp>

#include "bus/heartbeat.hpp"
#include "bus/bus_watch.hpp"
#include "bus/liveness.hpp"
#include "bus/replica_selector.hpp"
#include "bus/route_settle.hpp"
#include "common/daemon.hpp"
#include "common/event_loop.hpp"
#include "common/links.hpp"
#include "gateway/command_router.hpp"
#include "gateway/query_router.hpp"

namespace jupiter {

class GatewayNode {
public:
    // Binds its endpoint and connects to the replicas and brokers; throws with a hint when the
    // address is taken.
    GatewayNode(zmq::context_t& ctx, const DaemonContext& dc, const Clock& clock);
    int run();

private:
    void onClient();
    void onReplica();
    void onCommandReply();
    void onBus();
    void onConnectionEvent();
    void onTimer();
    void onHeartbeatTimer();
    void replicaDown(const std::string& replica, const std::string& reason);
    void updateRoute();
    void replyToClient(const Frames& route, const std::string& bytes);

    const DaemonContext& dc_;
    const Clock& clock_;
    Gatekeeper gate_;  // before wiring_: its ZAP handler must be bound before any socket
    Wiring wiring_;
    EventLoop loop_;
    zmq::socket_t frontend_;   // ROUTER: clients
    PeerPool replicas_;        // ROUTER connected to every query node, and its connection events
    zmq::socket_t commands_;   // DEALER connected to the brokers' commands
    zmq::socket_t sub_;        // heartbeats
    zmq::socket_t pub_;        // our heartbeat
    Liveness live_;
    ReplicaSelector selector_;
    QueryRouter queries_;
    CommandRouter commandRouter_;
    HeartbeatPublisher heartbeat_;
    // Replicas our own connection reaches now (handshake done, no disconnect since). Heartbeats come
    // via the broker and may say UP before we are reconnected to a restarted replica; a query sent
    // then would wait in the socket's queue until the reconnect, so it goes to the next one instead.
    std::set<std::string> connected_;
    // While the bus is silent, the replicas' silence says nothing about them: their liveness is
    // frozen and only lost connections and request timeouts count, so a broker restart does not
    // take every replica out of service.
    BusWatch bus_;
    RouteSettle settle_;  // the route is first chosen 1.5 intervals after the first replica heartbeat
};

}  // namespace jupiter
