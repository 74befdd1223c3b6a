// Broker implementation; see broker.hpp.
#include "broker/broker.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "bus/request.hpp"

namespace jupiter {
namespace {

void bindOrExplain(zmq::socket_t& s, const std::string& ep, const char* what) {
    try {
        s.bind(ep);
    } catch (const zmq::error_t& e) {
        throw std::runtime_error(fmt::format("cannot bind {} at {}: {} (is another cluster using this port? "
                                             "change it in the configuration or use `jupiter up --base-port`)",
                                             what, ep, e.what()));
    }
}

}  // namespace

Broker::Broker(zmq::context_t& ctx, const DaemonContext& dc, const Clock& clock)
    : dc_(dc),
      clock_(clock),
      loop_(clock),
      frontend_(makeSocket(ctx, zmq::socket_type::router)),
      backend_(makeSocket(ctx, zmq::socket_type::dealer)),
      eventsIn_(makeSocket(ctx, zmq::socket_type::xsub)),
      eventsOut_(makeSocket(ctx, zmq::socket_type::xpub)),
      control_(makeSocket(ctx, zmq::socket_type::router)),
      heartbeat_(eventsOut_, clock,
                 Heartbeat{"broker", "broker", static_cast<uint64_t>(getpid()), dc.node->endpoint, 0, 0, 0,
                           static_cast<uint64_t>(dc.config.heartbeatIntervalMs), "", 0, ""}) {
    // Queue no command for a command node that is not connected: the gateway is told at once.
    backend_.set(zmq::sockopt::immediate, 1);
    // Event bursts are large; a drop is repaired by replay, but fewer drops mean less replay.
    eventsOut_.set(zmq::sockopt::sndhwm, 200000);
    eventsIn_.set(zmq::sockopt::rcvhwm, 200000);
    frontend_.set(zmq::sockopt::router_mandatory, 1);
}

void Broker::bind() {
    const auto& b = dc_.config.broker;
    bindOrExplain(frontend_, b.commandsBind, "commands");
    bindOrExplain(backend_, b.backendBind, "command_backend");
    bindOrExplain(eventsIn_, b.eventsInBind, "events_in");
    bindOrExplain(eventsOut_, b.eventsOutBind, "events_out");
    bindOrExplain(control_, dc_.node->bind, "endpoint");
}

int Broker::run() {
    loop_.onReadable(frontend_, [this] { onCommandFrontend(); });
    loop_.onReadable(backend_, [this] { onCommandBackend(); });
    loop_.onReadable(eventsIn_, [this] { onEventsIn(); });
    loop_.onReadable(eventsOut_, [this] { onEventsOut(); });
    loop_.onReadable(control_, [this] { onControl(); });
    loop_.every(Millis(dc_.config.heartbeatIntervalMs), [this] { onHeartbeatTimer(); });
    loop_.stopOnSignals();
    onHeartbeatTimer();
    dc_.log->info("relaying commands {} -> {}, events {} -> {}", dc_.config.broker.commands,
                  dc_.config.broker.backend, dc_.config.broker.eventsIn, dc_.config.broker.eventsOut);
    const int sig = loop_.run();
    dc_.log->info("stopping on signal {}", sig);
    return 0;
}

// Commands from gateways: [gateway id, token..., envelope] go to the command node unchanged.
void Broker::onCommandFrontend() {
    for (int i = 0; i < 1024; ++i) {
        auto frames = recvFrames(frontend_);
        if (!frames) return;
        if (frames->size() < 2) continue;
        if (sendFrames(backend_, *frames)) continue;
        // No command node connected: say so now instead of letting the gateway wait for a timeout.
        auto req = splitRequest(std::move(*frames));
        auto env = decodeEnvelopeHeader(req->bytes);
        auto err = makeErrorReply(env ? env->name : "?", env ? env->id : "",
                                  makeError("unavailable", "the command node is not connected to the broker; "
                                                           "the request is retried"));
        sendReply(frontend_, req->route, err);
    }
}

// Replies from the command node: [gateway id, token..., envelope] back to that gateway.
void Broker::onCommandBackend() {
    for (int i = 0; i < 1024; ++i) {
        auto frames = recvFrames(backend_);
        if (!frames) return;
        if (!sendFrames(frontend_, *frames)) dc_.log->debug("dropped a reply for a gateway that is gone");
    }
}

void Broker::onEventsIn() {
    for (int i = 0; i < 4096; ++i) {
        auto frames = recvFrames(eventsIn_);
        if (!frames) return;
        sendFrames(eventsOut_, *frames);
    }
}

// Subscriptions travel upstream so publishers filter at the source.
void Broker::onEventsOut() {
    for (int i = 0; i < 1024; ++i) {
        auto frames = recvFrames(eventsOut_);
        if (!frames) return;
        sendFrames(eventsIn_, *frames);
    }
}

void Broker::onControl() {
    for (int i = 0; i < 256; ++i) {
        auto frames = recvFrames(control_);
        if (!frames) return;
        auto req = splitRequest(std::move(*frames));
        if (!req) continue;
        auto env = decodeEnvelope(req->bytes);
        if (!env) {
            sendReply(control_, req->route, makeErrorReply("?", "", env.error()));
        } else if (env->kind == Kind::Control && env->name == "ping") {
            sendReply(control_, req->route, makePong(*env, "broker", 0));
        } else {
            sendReply(control_, req->route,
                      makeErrorReply(env->name, env->id,
                                     makeError("unknown_message", fmt::format("the broker answers only ping; send {} "
                                                                              "to the gateway", env->name))));
        }
    }
}

void Broker::onHeartbeatTimer() { heartbeat_.publish(0); }

}  // namespace jupiter
