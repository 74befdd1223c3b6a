// The gateway daemon: one ROUTER endpoint for clients' commands and queries. Commands go to the
// broker (CommandRouter); queries go to the live replica the heartbeats point at (QueryRouter,
// ReplicaSelector), over one ROUTER connected to every replica with ZMQ_ROUTER_MANDATORY, so a
// send to a vanished replica fails instead of vanishing, and a socket monitor that reports lost
// connections at once. It depends on no other node's opinion (not the monitor's) to route.
#pragma once

#include <map>
#include <optional>
#include <set>

#include <zmq.hpp>

#include "bus/heartbeat.hpp"
#include "bus/liveness.hpp"
#include "bus/replica_selector.hpp"
#include "common/daemon.hpp"
#include "common/event_loop.hpp"
#include "gateway/command_router.hpp"
#include "gateway/query_router.hpp"

namespace jupiter {

class GatewayNode {
public:
    GatewayNode(zmq::context_t& ctx, const DaemonContext& dc, const Clock& clock);
    void connect();
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
    EventLoop loop_;
    zmq::socket_t frontend_;   // ROUTER: clients
    zmq::socket_t replicas_;   // ROUTER connected to every query node
    zmq::socket_t commands_;   // DEALER connected to the broker's commands
    zmq::socket_t sub_;        // heartbeats
    zmq::socket_t pub_;        // our heartbeat
    zmq::socket_t monitor_;    // PAIR: connection events of replicas_
    Liveness live_;
    ReplicaSelector selector_;
    QueryRouter queries_;
    CommandRouter commandRouter_;
    HeartbeatPublisher heartbeat_;
    std::map<std::string, std::string> replicaByEndpoint_;
    // Replicas our own connection reaches now (handshake done, no disconnect since). Heartbeats come
    // via the broker and may say UP before we are reconnected to a restarted replica; a query sent
    // then would wait in the socket's queue until the reconnect, so it goes to the next one instead.
    std::set<std::string> connected_;
    // The bus is judged by the broker's own heartbeat. While it is silent, the replicas' silence
    // says nothing about them: their liveness is frozen and only lost connections and request
    // timeouts count, so a broker restart does not take every replica out of service.
    bool busUp_ = false;
    TimePoint lastBrokerBeat_{};
    std::optional<TimePoint> firstReplicaBeat_;  // the route is first chosen 1.5 intervals after it
};

}  // namespace jupiter
