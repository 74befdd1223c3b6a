// The monitor daemon: watches every node through heartbeats and its own ping-echo probes
// (NodeHealth), follows each gateway's route from its heartbeat (RouteTracker), writes each transition
// as one line with a millisecond UTC timestamp to the transition log, publishes the same line on
// the bus (topic "tr", for `jupiter watch`) and to its web console (ConsoleServer, with the whole
// state while a browser watches), and answers `status`. Nothing depends on it to route.
#pragma once

#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "bus/heartbeat.hpp"
#include "bus/leader_tracker.hpp"
#include "monitor/route_tracker.hpp"
#include "node/daemon.hpp"
#include "common/event_loop.hpp"
#include "node/links.hpp"
#include "node/node_core.hpp"
#include "monitor/monitor_metrics.hpp"
#include "monitor/node_health.hpp"
#include "monitor/traffic_rates.hpp"

namespace jupiter {

class ConsoleServer;

class MonitorNode {
public:
    // Opens the transition log, binds its endpoint, serves its console (when configured) and
    // connects to every node; throws with a hint when the log cannot be opened or an address is taken.
    MonitorNode(zmq::context_t& ctx, const DaemonContext& dc, const Clock& clock);
    ~MonitorNode();
    // Serves until SIGTERM or SIGINT: start(), then the event loop. Returns the exit code.
    int run();
    // Registers the handlers and timers and announces the node, without signals or the loop's
    // run(): in-process tests (tests/inprocess/) then turn loop() themselves on a ManualClock.
    void start();
    EventLoop& loop() { return core_.loop(); }

private:
    void onRequest();
    void onBus();
    void onPong();
    void onConnectionEvent();
    void onPingTimer();
    void onCheckTimer();
    void paceChecks();
    void onHeartbeatTimer();
    void record(int64_t atMs, const std::string& node, const std::string& event, const std::string& detail);
    Doc statusBody() const;
    // What the console shows: the status, each gateway's route with its reason, the traffic.
    Doc consoleState() const;
    void startConsole();
    // The state to the console, while a page watches (or /state asked).
    void publishConsoleState();

    const DaemonContext& dc_;
    const Clock& clock_;
    NodeCore core_;  // before every socket: its gatekeeper, wiring and loop
    zmq::socket_t router_;  // status and ping requests
    PeerPool pinger_;       // ROUTER connected to every other node, and its disconnect events
    zmq::socket_t sub_;
    zmq::socket_t pub_;
    NodeHealth health_;
    MonitorMetrics metrics_;
    HeartbeatPublisher heartbeat_;
    RouteTracker routes_;
    std::FILE* log_ = nullptr;
    uint64_t logInode_ = 0;     // the transition log's file: when its path names another (rotated), reopen
    LeaderTracker leaders_;     // who leads, and the head as the leader says it
    uint64_t head_ = 0;
    uint64_t recordedEpoch_ = 0;  // of the last LEADER line written
    std::map<std::string, Doc> refused_;  // each node's refusal counts, from its last pong
    // Query nodes stuck at an event they cannot apply, and where (a STUCK line was written); a
    // RESUMED line once one's heartbeat shows it applied past that event.
    std::map<std::string, uint64_t> stuck_;
    void noteStuck(const Heartbeat& hb);
    TrafficRates traffic_;
    std::unique_ptr<ConsoleServer> console_;
    std::optional<EventLoop::TimerId> fastChecks_;  // onCheckTimer every 10 ms while a node is late (paceChecks)
};

}  // namespace jupiter
