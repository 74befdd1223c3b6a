// The gateway daemon: one ROUTER endpoint for clients' commands and queries. Commands go to a live
// broker in turn (CommandRouter; a broker whose connection or heartbeat is lost is left at once); queries go to the live replica the heartbeats point at (QueryRouter,
// ReplicaSelector), over one ROUTER connected to every replica with ZMQ_ROUTER_MANDATORY, so a
// send to a vanished replica fails instead of vanishing, and a socket monitor that reports lost
// connections at once. It depends on no other node's opinion (not the monitor's) to route: besides
// the replicas' heartbeats (via every broker) it pings them itself over the same connections, so it
// can serve while every broker is down.
#pragma once

#include <map>
#include <optional>
#include <set>

#include <zmq.hpp>

#include "bus/heartbeat.hpp"
#include "gateway/bus_watch.hpp"
#include "bus/leader_tracker.hpp"
#include "bus/liveness.hpp"
#include "gateway/replica_selector.hpp"
#include "gateway/route_settle.hpp"
#include "node/daemon.hpp"
#include "common/event_loop.hpp"
#include "node/links.hpp"
#include "node/node_core.hpp"
#include "gateway/command_router.hpp"
#include "gateway/gateway_metrics.hpp"
#include "gateway/query_router.hpp"
#include "gateway/reach.hpp"

namespace jupiter {

class GatewayNode {
public:
    // Binds its endpoint and connects to the replicas and brokers; throws with a hint when the
    // address is taken.
    GatewayNode(zmq::context_t& ctx, const DaemonContext& dc, const Clock& clock);
    // Serves until SIGTERM or SIGINT: start(), then the event loop. Returns the exit code.
    int run();
    // Registers the handlers and timers and announces the node, without signals or the loop's
    // run(): in-process tests (tests/inprocess/) then turn loop() themselves on a ManualClock.
    void start();
    EventLoop& loop() { return core_.loop(); }

private:
    void onClient();
    void onReplica();
    void onCommandReply();
    void onBus();
    void onConnectionEvent();
    void onBrokerEvent();
    std::optional<std::string> sendCommand(uint64_t token, const std::string& bytes);
    void updateBrokers();
    void onTimer();
    void onHeartbeatTimer();
    void onBeat();      // the heartbeat's beat: onTimer, then our pings
    // The 10 ms timer, only while a deadline may pass before the next beat; `mayStop`: onTimer has
    // just run.
    void paceTimer(bool mayStop);
    void judgeCutOff();  // commands answered cut_off while no broker is heard (after the start's grace)
    void pingReplicas();
    bool inDoubt(const std::string& replica) const;
    void onPong(const std::string& replica, std::string_view bytes);
    void replicaDown(const std::string& replica, const std::string& reason, std::string_view metricReason = "connection");
    void markReplicaDown(const std::string& replica, const std::string& reason, std::string_view metricReason);  // without routing
    void updateRoute();
    void replyToClient(const Frames& route, const std::string& bytes);

    const DaemonContext& dc_;
    const Clock& clock_;
    NodeCore core_;  // before every socket: its gatekeeper, wiring and loop
    zmq::socket_t frontend_;   // ROUTER: clients
    PeerPool replicas_;        // ROUTER connected to every query node, and its connection events
    PeerPool brokers_;         // ROUTER connected to every broker's commands, and its connection events
    zmq::socket_t sub_;        // heartbeats
    zmq::socket_t pub_;        // our heartbeat
    Liveness live_;
    ReplicaSelector selector_;
    GatewayMetrics metrics_;
    QueryRouter queries_;
    CommandRouter commandRouter_;
    HeartbeatPublisher heartbeat_;
    // Replicas our own connection reaches now (handshake done, no disconnect since). Heartbeats come
    // via the broker and may say UP before we are reconnected to a restarted replica; a query sent
    // then would wait in the socket's queue until the reconnect, so it goes to the next one instead.
    std::set<std::string> connected_;
    // Whether any broker's heartbeat is fresh (each judged on its own). The replicas' liveness does
    // not depend on it (they answer our pings directly); it is logged, and when the bus comes back
    // every deadline starts afresh.
    BusWatch bus_;
    LeaderTracker leaders_;  // the head as the leader says it, for queries_
    std::string commandLeader_;  // the leader commands went to: a new one gets what is in flight at once
    uint64_t commandEpoch_ = 0;
    Reach reach_;          // our own pings answered: a replica whose heartbeats arrive may still be cut off from us
    TimePoint startedAt_;  // a bus silent since start counts as cut off only after the liveness window
    RouteSettle settle_;  // the route is first chosen 1.5 intervals after the first replica heartbeat
    uint64_t pings_ = 0;  // our pings to the replicas (ids)
    std::optional<EventLoop::TimerId> fastTimer_;  // onTimer every 10 ms (paceTimer)
    // Brokers our command connection reaches now, and those of them that can take commands (their
    // heartbeat is fresh, or no broker's is: then a connection is all we can judge by).
    std::set<std::string> brokersConnected_;
    std::set<std::string> brokersUsable_;
    std::size_t nextBroker_ = 0;  // round robin
};

}  // namespace jupiter
