// Broker implementation; see broker.hpp.
#include "broker/broker.hpp"

#include <fmt/format.h>

#include "bus/request.hpp"

namespace jupiter {

Broker::Broker(zmq::context_t& ctx, const DaemonContext& dc, const Clock& clock)
    : dc_(dc),
      wiring_(ctx, dc.config, *dc.node),
      loop_(clock),
      writer_(dc.config.writer()->name),
      frontend_(wiring_.open(Link::BrokerCommands)),
      backend_(wiring_.open(Link::BrokerBackend)),
      eventsIn_(wiring_.open(Link::BrokerEventsIn)),
      eventsOut_(wiring_.open(Link::BrokerEventsOut)),
      control_(wiring_.open(Link::Control)),
      heartbeat_(eventsOut_, clock, *dc.node, Millis(dc.config.heartbeatIntervalMs)) {}

int Broker::run() {
    loop_.onReadable(frontend_, [this] { onCommandFrontend(); });
    loop_.onReadable(backend_, [this] { onCommandBackend(); });
    loop_.onReadable(eventsIn_, [this] { onEventsIn(); });
    loop_.onReadable(eventsOut_, [this] { onEventsOut(); });
    loop_.onReadable(control_, [this] { onControl(); });
    loop_.every(Millis(dc_.config.heartbeatIntervalMs), [this] { onHeartbeatTimer(); });
    loop_.stopOnSignals();
    onHeartbeatTimer();
    const auto& self = *dc_.node;
    dc_.log->info("relaying commands {} -> {} (to {} only), events {} -> {}",
                  self.channel(BrokerChannel::Commands).bind, self.channel(BrokerChannel::CommandBackend).bind,
                  writer_, self.channel(BrokerChannel::EventsIn).bind, self.channel(BrokerChannel::EventsOut).bind);
    const int sig = loop_.run();
    dc_.log->info("stopping on signal {}", sig);
    return 0;
}

// Commands from gateways: [gateway id, token..., envelope] go to the writer as
// [writer, gateway id, token..., envelope].
void Broker::onCommandFrontend() {
    drain(frontend_, kDrainRequests, [this](Frames&& frames) {
        if (frames.size() < 2) return;
        Frames out;
        out.reserve(frames.size() + 1);
        out.push_back(msg(writer_));
        for (auto& f : frames) out.push_back(std::move(f));
        if (sendFrames(backend_, out)) return;
        // The writer is not connected: say so now instead of letting the gateway wait for a timeout.
        out.erase(out.begin());
        auto req = splitRequest(std::move(out));
        if (!req) return;
        auto env = decodeEnvelopeHeader(req->bytes);
        auto err = makeErrorReply(env ? env->name : "?", env ? env->id : "",
                                  makeError("unavailable", fmt::format("the command node {} is not connected to the "
                                                                       "broker; the request is retried", writer_)));
        sendReply(frontend_, req->route, err);
    });
}

// Replies from the writer: [writer, gateway id, token..., envelope] back to that gateway.
void Broker::onCommandBackend() {
    drain(backend_, kDrainRequests, [this](Frames&& frames) {
        if (frames.size() < 3) return;
        if (view(frames[0]) != writer_) {
            if (strayReplies_++ % 1000 == 0)
                dc_.log->warn("dropped a reply from {}, which is not the writer {} ({} so far)", view(frames[0]),
                              writer_, strayReplies_);
            return;
        }
        frames.erase(frames.begin());
        if (!sendFrames(frontend_, frames)) dc_.log->debug("dropped a reply for a gateway that is gone");
    });
}

void Broker::onEventsIn() {
    drain(eventsIn_, kDrainBus, [this](Frames&& frames) { sendFrames(eventsOut_, frames); });
}

// Subscriptions travel upstream so publishers filter at the source.
void Broker::onEventsOut() {
    drain(eventsOut_, kDrainRequests, [this](Frames&& frames) { sendFrames(eventsIn_, frames); });
}

void Broker::onControl() {
    serveRequests(control_, kDrainControl, [this](Request& req, Envelope& env) {
        if (env.kind == Kind::Control && env.name == "ping") {
            sendReply(control_, req.route, makePong(env, dc_.node->name, 0));
        } else {
            sendReply(control_, req.route,
                      makeErrorReply(env.name, env.id,
                                     makeError("unknown_message", fmt::format("the broker answers only ping; send {} "
                                                                              "to the gateway", env.name))));
        }
    });
}

void Broker::onHeartbeatTimer() { heartbeat_.publish(0); }

}  // namespace jupiter
