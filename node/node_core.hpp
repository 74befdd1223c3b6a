// What every daemon is built on, made first and in this order: the gatekeeper (its ZAP handler is
// bound before any socket exists, so no connection is ever taken unchecked), the wiring (every
// socket from the configuration, secured by that gatekeeper) and the event loop. It also does what
// every node does the same way: the heartbeat timer, the answer to a ping (with the node's refusal
// counts), and serving until a signal or a fatal error, ending with a named exit code.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include <zmq.hpp>

#include "common/event_loop.hpp"
#include "node/daemon.hpp"
#include "node/links.hpp"
#include "schemas/envelope.hpp"
#include "security/gatekeeper.hpp"

namespace jupiter {

class NodeCore {
public:
    NodeCore(zmq::context_t& ctx, const DaemonContext& dc, const Clock& clock);

    Gatekeeper& gate() { return gate_; }
    const Gatekeeper& gate() const { return gate_; }
    Wiring& wiring() { return wiring_; }
    const Wiring& wiring() const { return wiring_; }
    EventLoop& loop() { return loop_; }

    // The end of a daemon's start(), once its own handlers are registered: the gatekeeper's
    // handlers (ZAP, connection limits, the keys folder checked twice a second), and `heartbeat`
    // now and every heartbeat interval.
    void start(std::function<void()> heartbeat);
    // Runs the loop until SIGTERM or SIGINT (logged) or fail(); returns kExitOk after a signal,
    // kExitFailed after fail().
    ExitCode serve();
    // Stops serving for an error the node cannot go on with (logged as critical): serve() returns
    // kExitFailed, and systemd restarts the node.
    void fail(std::string_view why);

    // The answer to a ping: the node's name, `head` (the sequence it stands at) and its refusals.
    Envelope pong(const Envelope& ping, uint64_t head) const;

private:
    const DaemonContext& dc_;
    Gatekeeper gate_;
    Wiring wiring_;
    EventLoop loop_;
    ExitCode exitCode_ = kExitOk;
};

}  // namespace jupiter
