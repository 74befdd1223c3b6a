// The bus: relays commands from gateways to the one command node allowed to write (ROUTER <->
// ROUTER, addressed by the connection its key spoke from) and events, heartbeats and transitions from publishers to
// subscribers (XSUB <-> XPUB), in one event loop that also answers pings and publishes the
// broker's own heartbeat. It keeps no state: after a kill -9 and restart, gateways resend
// unanswered commands and query nodes replay missed events.
#pragma once

#include <map>
#include <string>

#include <zmq.hpp>

#include "bus/heartbeat.hpp"
#include "broker/broker_metrics.hpp"
#include "bus/leader_tracker.hpp"
#include "node/daemon.hpp"
#include "common/event_loop.hpp"
#include "node/links.hpp"
#include "node/node_core.hpp"

namespace jupiter {

class Broker {
public:
    // Binds every socket; throws with the endpoint and a hint when an address is taken.
    Broker(zmq::context_t& ctx, const DaemonContext& dc, const Clock& clock);
    // Serves until SIGTERM or SIGINT: start(), then the event loop. Returns the exit code.
    int run();
    // Registers the handlers and timers and announces the node, without signals or the loop's
    // run(): in-process tests (tests/inprocess/) then turn loop() themselves on a ManualClock.
    void start();
    EventLoop& loop() { return core_.loop(); }

private:
    void onCommandFrontend();
    void onCommandBackend();
    void onEventsIn();
    void onEventsOut();
    void onControl();
    void onHeartbeatTimer();

    const DaemonContext& dc_;
    NodeCore core_;  // before every socket: its gatekeeper, wiring and loop
    BrokerMetrics metrics_;
    // The only command node commands are handed to. Any other node connected to the backend
    // (a misconfigured or deposed one) receives nothing, and its replies are dropped: the command
    // path never has two writers. Who is the writer is decided by the authenticated key, not by
    // the routing id a peer chose.
    const Clock& clock_;
    std::string writer_;      // the command node that writes: the only one, or the leader its heartbeats name
    // Each command node's connection on the backend (its routing id there), as its key last spoke from it.
    std::map<std::string, std::string, std::less<>> routes_;
    LeaderTracker leaders_;   // several command nodes: who leads
    // The command node commands go to now (nothing while several have no leader).
    std::optional<std::string> target() const;
    std::string noLeaderReason() const;  // why target() is empty, for the refusal
    void noteLeader(std::string_view topic, const zmq::message_t& body);
    // What a subscription to `topic` asks to do, or nothing for a topic that does not exist.
    std::optional<Action> subscriptionAction(std::string_view topic) const;
    zmq::socket_t frontend_;  // ROUTER: gateways
    zmq::socket_t backend_;   // ROUTER: command nodes, each addressed by its connection in routes_
    zmq::socket_t eventsIn_;  // XSUB: publishers
    zmq::socket_t eventsOut_; // XPUB: subscribers
    zmq::socket_t control_;   // ROUTER: pings
    HeartbeatPublisher heartbeat_;
};

}  // namespace jupiter
