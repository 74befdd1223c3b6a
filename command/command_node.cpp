// Command node implementation: commands, control requests and heartbeats. Replication between
// command nodes is in command_node_replication.cpp.
#include "command/command_node.hpp"

#include <thread>

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
      clock_(clock),
      store_(store),
      core_(ctx, dc, clock),
      processor_(store, clock, dc.node->name, dc.config.syncDurable),
      metrics_(*dc.metrics),
      commands_(core_.wiring().open(Link::CommandIntake)),
      control_(core_.wiring().open(Link::Control)),
      pub_(core_.wiring().open(Link::Publish)),
      heartbeat_(pub_, clock, *dc.node, Millis(dc.config.heartbeatIntervalMs)),
      signer_(dc.config.signEvents ? dc.credentials.signingKey() : std::nullopt),
      lead_(dc.node->name),
      wedgeFor_(dc.node->wedgeLoopMs),
      snapshots_(store, clock, [this](const SnapshotPoint& p) { return standing(p); }) {
    if (wedgeFor_.count() > 0) dc.log->warn("test hook: the event loop will stop for {} ms once it has led a second "
                                            "(wedge_loop_ms)", wedgeFor_.count());
    if (dc.config.replicated()) {
        startReplication(ctx);
    } else {
        lead_.alone();
        committedSeq_ = store_.seq();
    }
}

CommandNode::~CommandNode() {
    if (elector_) elector_->stop();
}

void CommandNode::start() {
    processor_.onDecided(
        [this](const std::string& name, const std::string& outcome) { metrics_.decided(name, outcome); });
    core_.loop().onReadable(commands_, [this] { onCommand(); });
    core_.loop().onReadable(control_, [this] { onControl(); });
    if (replicated()) {
        core_.loop().onReadable(electorPair_, [this] { onElector(); });
        core_.loop().onReadable(peers_->socket, [this] { onPeers(); });
        core_.loop().onReadable(peers_->events, [this] { onPeerEvents(); });
        core_.loop().everyOnTheBeat(Millis(25), [this] { onReplicationTimer(); });
        elector_->start();
    }
    dc_.log->info("serving commands from {} broker(s) at head sequence {} ({} writes{})",
                  core_.wiring().peers(Link::CommandIntake).size(), store_.seq(),
                  dc_.config.syncDurable ? "durable" : "async",
                  replicated() ? fmt::format("; one of {} command nodes, leader elected through etcd at {}",
                                             dc_.config.nodesWith(Role::Command).size(),
                                             fmt::join(dc_.config.etcd.endpoints, ", "))
                               : "");
    core_.start([this] { onHeartbeatTimer(); });
}

int CommandNode::run() {
    start();
    const ExitCode code = core_.serve();
    if (elector_) elector_->stop();  // a leader revokes its lease: a standby takes over at once
    return code;
}

void CommandNode::sendReplies(std::vector<CommandProcessor::Reply>& replies) {
    for (auto& r : replies) {
        Frames out;
        for (auto& f : r.route) out.push_back(std::move(f));
        out.push_back(msg(r.bytes));
        if (!sendFrames(commands_, out)) dc_.log->warn("could not send a reply (broker gone); the sender retries");
    }
}

// One group per call: decide everything that is waiting, commit once, then answer and publish
// (replicated: once a standby holds the group, see release()).
void CommandNode::onCommand() {
    const auto refused = refusal();
    serveRequests(commands_, kMaxGroup, [this, &refused](Request& req, Envelope& env) {
        if (env.kind != Kind::Command) {
            sendReply(commands_, req.route,
                      makeErrorReply(env.name, env.id,
                                     makeError("unknown_message", fmt::format("the command channel takes commands, "
                                                                              "not {}", kindName(env.kind)))));
            return;
        }
        if (refused) {
            sendReply(commands_, req.route, makeErrorReply(env.name, env.id, makeError("unavailable", *refused)));
            metrics_.decided(env.name, "unavailable");
            return;
        }
        processor_.handle(std::move(req.route), env);
    });
    if (!processor_.hasPending()) return;
    const TimePoint started = clock_.now();
    if (!replicated()) {
        auto group = processor_.commit();
        if (!group) return core_.fail(group.error().message);
        metrics_.committed(group->replies.size(), std::chrono::duration_cast<Micros>(clock_.now() - started));
        committedSeq_ = store_.seq();
        sendReplies(group->replies);
        if (!group->events.empty()) publishEvents(group->events);
        return;
    }
    uint64_t index = 0;
    auto group = processor_.commit([this, &index](StoreTxn& txn) { index = replog_->record(txn, lead_.epoch()); });
    if (!group) return core_.fail(group.error().message);
    const TimePoint written = clock_.now();
    metrics_.committed(group->replies.size(), std::chrono::duration_cast<Micros>(written - started));
    replog_->recorded();
    position_.set(replog_->last());
    held_.push_back({index, written, std::move(group->replies), std::move(group->events)});
    for (auto& follower : followers_)
        if (follower.second.waiting) answerFetch(follower.second);
}

// Batches of at most kPublishChunk events and about kEventBatchBytes (a broker's events_in reads
// twice that at most), each as a replay body: {events, head, epoch}.
void CommandNode::publishEvents(const Doc& events) {
    std::string packed;
    uint32_t count = 0;
    auto flush = [&] {
        if (count == 0) return;
        Envelope e;
        e.kind = Kind::Events;
        e.name = "events";
        e.packedBody = packEventsBody(packed, count, committedSeq_, lead_.epoch());
        // A drop (HWM, broker down) is repaired by the replicas' replay from our event log. The
        // signature (a third frame) proves to replicas that the leader wrote the batch.
        const std::string encoded = encodeEnvelope(e);
        if (signer_)
            sendFrames(pub_, {kEventsTopic, encoded, signer_->sign(encoded)});
        else
            sendFrames(pub_, {kEventsTopic, encoded});
        packed.clear();
        count = 0;
    };
    for (const auto& event : events) {
        std::string one = packDoc(event);
        if (count == kPublishChunk || (count > 0 && packed.size() + one.size() > kEventBatchBytes)) flush();
        packed += one;
        ++count;
    }
    flush();
}

Envelope CommandNode::answerControl(Envelope& env) {
    if (env.kind == Kind::Control && env.name == "ping") {
        Envelope reply = core_.pong(env, committedSeq_);
        reply.body["standing"] = leaderRoleName(lead_.role());
        reply.body["epoch"] = lead_.epoch();
        reply.body["leader"] = lead_.leader();
        if (replicated()) {
            reply.body["log_index"] = replog_->last().index;
            reply.body["log_epoch"] = replog_->last().epoch;
            reply.body["commit"] = replog_->commit();
        }
        return reply;
    }
    if (env.kind == Kind::Control && env.name == "replay") {
        // Only what is committed: a replica must never apply an event a new leader might not have.
        // The stored events go out undecoded, about half the largest message at most.
        const uint64_t from = env.body["from"].get<uint64_t>();
        const auto max = std::min<uint64_t>(env.body.value("max", uint64_t{1000}), kMaxReplay);
        Envelope reply = makeReply(env, Doc::object());
        reply.packedBody = packReplayBody(store_, from, committedSeq_, static_cast<std::size_t>(max),
                                          kMaxMessageBytes / 2, committedSeq_, lead_.epoch());
        return reply;
    }
    if (env.kind == Kind::Control && env.name == "snapshot") {
        auto chunk = snapshots_.answer(env.body, snapshotPoint());
        if (auto news = snapshots_.takeNews(); !news.empty()) dc_.log->info("{}", news);
        if (!chunk) return makeErrorReply(env.name, env.id, chunk.error());
        Envelope reply = makeReply(env, Doc::object());
        reply.packedBody = std::move(*chunk);
        return reply;
    }
    if (auto inspected = env.kind == Kind::Control ? inspectRequest(store_, env.name, env.body) : std::nullopt)
        return makeReply(env, std::move(*inspected));
    return makeErrorReply(env.name, env.id,
                          makeError("unknown_message",
                                    fmt::format("the command node's endpoint answers ping, replay, snapshot, digest, "
                                                "keys, fetch and fence; send {} through the gateway", env.name)));
}

void CommandNode::onControl() {
    serveRequests(control_, kDrainControl, [this](Request& req, Envelope& env) {
        if (!permitted(core_.gate(), control_, req, env, controlAction(env))) return;
        if (env.kind == Kind::Control && env.name == "fetch") return serveFetch(req, env);
        if (env.kind == Kind::Control && env.name == "fence") return serveFence(req, env);
        Envelope reply = answerControl(env);
        reply.seq = committedSeq_;
        reply.node = dc_.node->name;
        sendReply(control_, req.route, reply);
    });
}

SnapshotPoint CommandNode::snapshotPoint() const {
    return {store_.seq(), store_.digest(), replicated() ? replog_->last() : LogPosition{}};
}

// A copy of the state may be installed by a replica only once every group in it is committed: a
// deposed leader's uncommitted groups are taken back (the log's entry at that index then has
// another epoch, or is gone).
PointStanding CommandNode::standing(const SnapshotPoint& p) const {
    if (!replicated() || p.at.index == 0) return PointStanding::Committed;
    const auto epoch = replog_->epochAt(p.at.index);
    if (!epoch || *epoch != p.at.epoch) return PointStanding::TakenBack;
    return replog_->commit() >= p.at.index ? PointStanding::Committed : PointStanding::Pending;
}

void CommandNode::onHeartbeatTimer() {
    // Each broker learns which connection is ours (a restarted broker, at once): unsent while one
    // is not connected (a ROUTER drops what it cannot route).
    for (const auto* broker : core_.wiring().peers(Link::CommandIntake)) sendFrames(commands_, {broker->name, kIntakeHello});
    pulse_.stamp(clock_.now());
    if (wedgeFor_.count() > 0 && !wedged_ && lead_.leading() && clock_.now() - leaderSince_ >= Millis(1000)) {
        // The test hook: the loop stops as it would on a disk that stops answering fsync.
        wedged_ = true;
        dc_.log->warn("test hook: the event loop stops for {} ms (wedge_loop_ms)", wedgeFor_.count());
        std::this_thread::sleep_for(wedgeFor_);
        dc_.log->warn("test hook: the event loop runs again");
    }
    snapshots_.expire();
    if (auto news = snapshots_.takeNews(); !news.empty()) dc_.log->info("{}", news);
    metrics_.sample(lead_.leading(), lead_.epoch(), committedSeq_, store_, core_.gate());
    publishHeartbeat();
}

void CommandNode::publishHeartbeat() {
    auto& hb = heartbeat_.info();
    hb.standing = std::string(leaderRoleName(lead_.role()));
    hb.epoch = lead_.epoch();
    hb.leader = lead_.leader();
    // A leader's sequence is what replicas may have (committed); a standby's what it holds.
    if (lead_.leading())
        heartbeat_.publish(committedSeq_, committedSeq_ == store_.seq() ? store_.digest() : 0);
    else
        heartbeat_.publish(store_.seq(), store_.digest());
}

}  // namespace jupiter
