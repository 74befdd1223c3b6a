// The monitor daemon: watches every node through heartbeats and its own ping-echo probes
// (NodeHealth), follows the gateway's route from the gateway's heartbeat, writes each transition
// as one line with a millisecond UTC timestamp to the transition log, publishes the same line on
// the bus (topic "tr", for `jupiter watch`), and answers `status`. Nothing depends on it to route.
#pragma once

#include <cstdio>
#include <map>
#include <string>

#include <zmq.hpp>

#include "bus/heartbeat.hpp"
#include "common/daemon.hpp"
#include "common/event_loop.hpp"
#include "monitor/node_health.hpp"

namespace jupiter {

class MonitorNode {
public:
    MonitorNode(zmq::context_t& ctx, const DaemonContext& dc, const Clock& clock);
    ~MonitorNode();
    void connect();
    int run();

private:
    void onRequest();
    void onBus();
    void onPong();
    void onConnectionEvent();
    void onPingTimer();
    void onCheckTimer();
    void onHeartbeatTimer();
    void record(int64_t atMs, const std::string& node, const std::string& event, const std::string& detail);
    Doc statusBody() const;

    const DaemonContext& dc_;
    const Clock& clock_;
    EventLoop loop_;
    zmq::socket_t router_;  // status and ping requests
    zmq::socket_t pinger_;  // ROUTER connected to every node, ROUTER_MANDATORY
    zmq::socket_t sub_;
    zmq::socket_t pub_;
    zmq::socket_t events_;  // PAIR: disconnect events of pinger_
    std::map<std::string, std::string> nodeByEndpoint_;
    NodeHealth health_;
    HeartbeatPublisher heartbeat_;
    std::FILE* log_ = nullptr;
    std::string route_;
    uint64_t head_ = 0;
    bool routeSeen_ = false;
};

}  // namespace jupiter
