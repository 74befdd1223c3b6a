// The command node daemon: takes commands from the broker, runs them through the
// CommandProcessor (one group commit per turn of the loop), replies, publishes the new events on
// the bus, serves replays of its event log to query nodes that missed something, and heartbeats
// its head sequence so replicas know how far behind they are.
#pragma once

#include <memory>

#include <zmq.hpp>

#include "bus/heartbeat.hpp"
#include "command/command_processor.hpp"
#include "common/daemon.hpp"
#include "common/event_loop.hpp"
#include "common/links.hpp"
#include "store/store.hpp"

namespace jupiter {

class CommandNode {
public:
    // Binds its endpoint and connects to the brokers; throws with a hint when the address is taken.
    CommandNode(zmq::context_t& ctx, const DaemonContext& dc, const Clock& clock, Store& store);
    int run();

private:
    void onCommand();
    void onControl();
    void onHeartbeatTimer();
    void publishEvents(const Doc& events);

    const DaemonContext& dc_;
    Store& store_;
    Gatekeeper gate_;  // before wiring_: its ZAP handler must be bound before any socket
    Wiring wiring_;
    EventLoop loop_;
    CommandProcessor processor_;
    zmq::socket_t commands_;  // ROUTER connected to the brokers' command_backend, known there by our name
    zmq::socket_t control_;   // ROUTER: ping, replay, digest, keys
    zmq::socket_t pub_;       // PUB connected to the brokers' events_in
    HeartbeatPublisher heartbeat_;
    int exitCode_ = 0;
};

}  // namespace jupiter
