// The bus: relays commands from gateways to the command node (ROUTER <-> DEALER) and events,
// heartbeats and transitions from publishers to subscribers (XSUB <-> XPUB), in one event loop
// that also answers pings and publishes the broker's own heartbeat. It keeps no state: after a
// kill -9 and restart, gateways resend unanswered commands and query nodes replay missed events.
#pragma once

#include <zmq.hpp>

#include "bus/heartbeat.hpp"
#include "common/daemon.hpp"
#include "common/event_loop.hpp"

namespace jupiter {

class Broker {
public:
    Broker(zmq::context_t& ctx, const DaemonContext& dc, const Clock& clock);
    // Binds every socket; throws zmq::error_t with the endpoint when an address is taken.
    void bind();
    int run();

private:
    void onCommandFrontend();
    void onCommandBackend();
    void onEventsIn();
    void onEventsOut();
    void onControl();
    void onHeartbeatTimer();

    const DaemonContext& dc_;
    const Clock& clock_;
    EventLoop loop_;
    zmq::socket_t frontend_;  // ROUTER: gateways
    zmq::socket_t backend_;   // DEALER: the command node
    zmq::socket_t eventsIn_;  // XSUB: publishers
    zmq::socket_t eventsOut_; // XPUB: subscribers
    zmq::socket_t control_;   // ROUTER: pings
    HeartbeatPublisher heartbeat_;
};

}  // namespace jupiter
