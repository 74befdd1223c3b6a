// Command node implementation; see command_node.hpp.
#include "command/command_node.hpp"

#include <fmt/format.h>

#include "bus/request.hpp"
#include "command/event_log.hpp"
#include "store/inspect.hpp"

namespace jupiter {
namespace {

constexpr std::size_t kPublishChunk = 500;
constexpr std::size_t kMaxReplay = 5000;
constexpr std::size_t kMaxGroup = 1024;  // commands decided in one group commit at most

}  // namespace

CommandNode::CommandNode(zmq::context_t& ctx, const DaemonContext& dc, const Clock& clock, Store& store)
    : dc_(dc),
      store_(store),
      gate_(ctx, dc.config, dc.credentials, dc.log, clock),
      wiring_(ctx, dc.config, *dc.node, gate_),
      loop_(clock),
      processor_(store, clock, dc.node->name, dc.config.syncDurable),
      commands_(wiring_.open(Link::CommandIntake)),
      control_(wiring_.open(Link::Control)),
      pub_(wiring_.open(Link::Publish)),
      heartbeat_(pub_, clock, *dc.node, Millis(dc.config.heartbeatIntervalMs)) {}

int CommandNode::run() {
    loop_.onReadable(commands_, [this] { onCommand(); });
    loop_.onReadable(control_, [this] { onControl(); });
    loop_.every(Millis(dc_.config.heartbeatIntervalMs), [this] { onHeartbeatTimer(); });
    gate_.attach(loop_);
    loop_.stopOnSignals();
    dc_.log->info("serving commands from {} broker(s) at head sequence {} ({} writes)",
                  wiring_.peers(Link::CommandIntake).size(), store_.seq(),
                  dc_.config.syncDurable ? "durable" : "async");
    onHeartbeatTimer();
    loop_.run();
    return exitCode_;
}

// One group per call: decide everything that is waiting, commit once, then answer and publish.
void CommandNode::onCommand() {
    serveRequests(commands_, kMaxGroup, [this](Request& req, Envelope& env) {
        if (env.kind != Kind::Command) {
            sendReply(commands_, req.route,
                      makeErrorReply(env.name, env.id,
                                     makeError("unknown_message", fmt::format("the command channel takes commands, "
                                                                              "not {}", kindName(env.kind)))));
            return;
        }
        processor_.handle(std::move(req.route), env);
    });
    if (!processor_.hasPending()) return;
    auto group = processor_.commit();
    if (!group) {
        dc_.log->critical("{}", group.error().message);
        exitCode_ = 1;
        loop_.stop();
        return;
    }
    for (auto& r : group->replies) {
        Frames out;
        for (auto& f : r.route) out.push_back(std::move(f));
        out.push_back(msg(r.bytes));
        if (!sendFrames(commands_, out)) dc_.log->warn("could not send a reply (broker gone); the sender retries");
    }
    if (!group->events.empty()) publishEvents(group->events);
}

void CommandNode::publishEvents(const Doc& events) {
    for (std::size_t i = 0; i < events.size(); i += kPublishChunk) {
        Envelope e;
        e.kind = Kind::Events;
        e.name = "events";
        Doc chunk = Doc::array();
        for (std::size_t j = i; j < std::min(events.size(), i + kPublishChunk); ++j) chunk.push_back(events[j]);
        e.body = {{"events", std::move(chunk)}, {"head", store_.seq()}};
        // A drop (HWM, broker down) is repaired by the replicas' replay from our event log.
        sendFrames(pub_, {kEventsTopic, encodeEnvelope(e)});
    }
}

void CommandNode::onControl() {
    serveRequests(control_, kDrainControl, [this](Request& req, Envelope& env) {
        Envelope reply;
        if (!permitted(gate_, control_, req, env, controlAction(env))) return;
        if (env.kind == Kind::Control && env.name == "ping") {
            reply = makePong(env, dc_.node->name, store_.seq());
            reply.body["refused"] = gate_.refusedDoc();
        } else if (env.kind == Kind::Control && env.name == "replay") {
            const uint64_t from = env.body["from"].get<uint64_t>();
            const auto max = std::min<uint64_t>(env.body.value("max", uint64_t{1000}), kMaxReplay);
            reply = makeReply(env, {{"events", readEvents(store_, from, static_cast<std::size_t>(max))},
                                    {"head", store_.seq()}});
        } else if (auto inspected = env.kind == Kind::Control ? inspectRequest(store_, env.name, env.body)
                                                              : std::nullopt) {
            reply = makeReply(env, std::move(*inspected));
        } else {
            reply = makeErrorReply(env.name, env.id,
                                   makeError("unknown_message",
                                             fmt::format("the command node's endpoint answers ping, replay, digest "
                                                         "and keys; send {} through the gateway", env.name)));
        }
        reply.seq = store_.seq();
        reply.node = dc_.node->name;
        sendReply(control_, req.route, reply);
    });
}

void CommandNode::onHeartbeatTimer() { heartbeat_.publish(store_.seq(), store_.digest()); }

}  // namespace jupiter
