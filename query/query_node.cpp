// Query node implementation; see query_node.hpp.
#include "query/query_node.hpp"

#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>

#include "domain/queries.hpp"
#include "store/inspect.hpp"

namespace jupiter {
namespace {

constexpr Millis kMaxParked{1000};
constexpr Millis kReplayTimeout{1000};
constexpr uint64_t kReplayChunk = 2000;

}  // namespace

QueryNode::QueryNode(zmq::context_t& ctx, const DaemonContext& dc, const Clock& clock, Store& store)
    : dc_(dc),
      clock_(clock),
      store_(store),
      loop_(clock),
      replicator_(store, clock, kReplayTimeout),
      router_(makeSocket(ctx, zmq::socket_type::router)),
      sub_(makeSocket(ctx, zmq::socket_type::sub)),
      pub_(makeSocket(ctx, zmq::socket_type::pub)),
      replay_(makeSocket(ctx, zmq::socket_type::dealer)),
      heartbeat_(pub_, clock,
                 Heartbeat{dc.node->name, "query", static_cast<uint64_t>(getpid()), dc.node->endpoint, 0, 0, 0,
                           static_cast<uint64_t>(dc.config.heartbeatIntervalMs), "", 0, ""}) {
    sub_.set(zmq::sockopt::rcvhwm, 200000);
    if (const char* drop = std::getenv("JUPITER_DROP_LIVE_EVERY")) dropLiveEvery_ = std::strtoull(drop, nullptr, 10);
}

void QueryNode::connect() {
    try {
        router_.bind(dc_.node->bind);
    } catch (const zmq::error_t& e) {
        throw std::runtime_error(fmt::format("cannot bind {}: {} (is another cluster using this port?)",
                                             dc_.node->bind, e.what()));
    }
    sub_.set(zmq::sockopt::subscribe, kEventsTopic);
    sub_.set(zmq::sockopt::subscribe, std::string(kHeartbeatTopic) + "command");
    sub_.connect(dc_.config.broker.eventsOut);
    pub_.connect(dc_.config.broker.eventsIn);
    replay_.connect(dc_.config.node("command")->endpoint);
}

int QueryNode::run() {
    loop_.onReadable(router_, [this] { onRequest(); });
    loop_.onReadable(sub_, [this] { onBus(); });
    loop_.onReadable(replay_, [this] { onReplayReply(); });
    loop_.every(Millis(10), [this] { onTimer(); });
    loop_.every(Millis(dc_.config.heartbeatIntervalMs), [this] { onHeartbeatTimer(); });
    loop_.stopOnSignals();
    dc_.log->info("serving queries on {} from sequence {}", dc_.node->bind, store_.seq());
    onHeartbeatTimer();
    // Ask for whatever happened while we were away, without waiting for a heartbeat to tell us.
    replicator_.onHead(store_.seq() + 1);
    requestReplayIfDue();
    loop_.run();
    return exitCode_;
}

void QueryNode::onRequest() {
    for (int i = 0; i < 1024; ++i) {
        auto frames = recvFrames(router_);
        if (!frames) return;
        auto req = splitRequest(std::move(*frames));
        if (!req) continue;
        auto env = decodeEnvelope(req->bytes);
        if (!env) {
            auto hdr = decodeEnvelopeHeader(req->bytes);
            sendReply(router_, req->route,
                      makeErrorReply(hdr ? hdr->name : "?", hdr ? hdr->id : "", env.error()));
            continue;
        }
        if (env->kind == Kind::Query) {
            if (env->minSeq && *env->minSeq > replicator_.applied()) {
                replicator_.onHead(*env->minSeq);
                parked_.push_back({std::move(req->route), std::move(*env), clock_.now() + kMaxParked});
                requestReplayIfDue();
                continue;
            }
            answer(req->route, *env);
            continue;
        }
        Envelope reply;
        if (env->kind == Kind::Control && env->name == "ping") {
            reply = makePong(*env, dc_.node->name, store_.seq());
            reply.body["gaps"] = replicator_.gapsSeen();  // how many gaps replay has repaired
        } else if (auto inspected = env->kind == Kind::Control ? inspectRequest(store_, env->name, env->body)
                                                               : std::nullopt) {
            reply = makeReply(*env, std::move(*inspected));
        } else {
            reply = makeErrorReply(env->name, env->id,
                                   makeError("unknown_message",
                                             fmt::format("a query node answers queries, ping, digest and keys; send "
                                                         "{} {} to the gateway", kindName(env->kind), env->name)));
        }
        reply.seq = store_.seq();
        reply.node = dc_.node->name;
        sendReply(router_, req->route, reply);
    }
}

void QueryNode::answer(const Frames& route, const Envelope& q) {
    auto snap = store_.snapshot();
    Result<Doc> result = makeError("internal", "");
    try {
        result = runQuery(q.name, q.body, snap);
    } catch (const std::exception& e) {
        result = makeError("internal", fmt::format("{} failed on {}: {}", q.name, dc_.node->name, e.what()));
    }
    Envelope reply = result ? makeReply(q, std::move(result.value())) : makeErrorReply(q.name, q.id, result.error());
    reply.seq = store_.seq();
    reply.node = dc_.node->name;
    sendReply(router_, route, reply);
}

void QueryNode::onBus() {
    for (int i = 0; i < 1024; ++i) {
        auto frames = recvFrames(sub_);
        if (!frames) break;
        if (frames->size() != 2) continue;
        auto env = decodeEnvelope(view((*frames)[1]));
        if (!env) {
            dc_.log->warn("ignored a bus message: {}", env.error().message);
            continue;
        }
        if (env->kind == Kind::Heartbeat) {
            if (auto hb = heartbeatFrom(*env); hb && hb->role == "command") replicator_.onHead(hb->seq);
        } else if (env->kind == Kind::Events) {
            if (dropLiveEvery_ && ++liveBatches_ % dropLiveEvery_ == 0) continue;
            afterApply(replicator_.onLive(env->body["events"], env->body["head"].get<uint64_t>()));
        }
    }
    requestReplayIfDue();
}

void QueryNode::onReplayReply() {
    for (int i = 0; i < 64; ++i) {
        auto frames = recvFrames(replay_);
        if (!frames) break;
        auto env = decodeEnvelopeHeader(view(frames->back()));
        if (!env || env->kind != Kind::Reply || !env->body.contains("events") || !env->body["events"].is_array() ||
            !env->body.contains("head") || !env->body["head"].is_number_unsigned()) {
            dc_.log->warn("ignored a bad replay reply from the command node");
            continue;
        }
        afterApply(replicator_.onReplay(env->body["events"], env->body["head"].get<uint64_t>()));
    }
    requestReplayIfDue();
}

void QueryNode::afterApply(const Result<std::size_t>& r) {
    if (!r) {
        dc_.log->critical("{}", r.error().message);
        exitCode_ = 1;
        loop_.stop();
        return;
    }
    if (*r == 0 || parked_.empty()) return;
    for (auto it = parked_.begin(); it != parked_.end();) {
        if (*it->query.minSeq <= replicator_.applied()) {
            answer(it->route, it->query);
            it = parked_.erase(it);
        } else {
            ++it;
        }
    }
}

void QueryNode::requestReplayIfDue() {
    if (auto from = replicator_.replayDue()) {
        Envelope req;
        req.kind = Kind::Control;
        req.name = "replay";
        req.id = fmt::format("{}-replay-{}", dc_.node->name, *from);
        req.body = {{"from", *from}, {"max", kReplayChunk}};
        sendFrames(replay_, {"", encodeEnvelope(req)});
        dc_.log->debug("asked the command node for events from {} (head {})", *from, replicator_.head());
    }
}

void QueryNode::onTimer() {
    const TimePoint now = clock_.now();
    while (!parked_.empty() && parked_.front().deadline <= now) {
        const Parked& p = parked_.front();
        sendReply(router_, p.route,
                  makeErrorReply(p.query.name, p.query.id,
                                 makeError("behind", fmt::format("{} has applied sequence {} but the query asks for {}; "
                                                                 "retry, or ask another replica",
                                                                 dc_.node->name, replicator_.applied(),
                                                                 *p.query.minSeq))));
        parked_.pop_front();
    }
    requestReplayIfDue();
}

void QueryNode::onHeartbeatTimer() { heartbeat_.publish(store_.seq(), store_.digest()); }

}  // namespace jupiter
