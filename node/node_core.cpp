// The core every daemon is built on; see node_core.hpp.
#include "node/node_core.hpp"

#include "bus/request.hpp"

namespace jupiter {

NodeCore::NodeCore(zmq::context_t& ctx, const DaemonContext& dc, const Clock& clock)
    : dc_(dc),
      gate_(ctx, dc.config, dc.credentials, dc.log, clock),
      wiring_(ctx, dc.config, *dc.node, gate_),
      loop_(clock) {}

void NodeCore::start(std::function<void()> heartbeat) {
    gate_.attach(loop_);
    // On the beat: the heartbeats of every node reach the brokers and their readers together.
    loop_.everyOnTheBeat(Millis(dc_.config.heartbeatIntervalMs), heartbeat);
    heartbeat();
}

ExitCode NodeCore::serve() {
    loop_.stopOnSignals();
    const int sig = loop_.run();
    if (exitCode_ == kExitOk) dc_.log->info("stopping on signal {}", sig);
    return exitCode_;
}

void NodeCore::fail(std::string_view why) {
    dc_.log->critical("{}", why);
    exitCode_ = kExitFailed;
    loop_.stop();
}

Envelope NodeCore::pong(const Envelope& ping, uint64_t head) const {
    Envelope reply = makePong(ping, dc_.node->name, head);
    reply.body["refused"] = gate_.refusedDoc();
    return reply;
}

}  // namespace jupiter
