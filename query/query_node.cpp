// Query node implementation; see query_node.hpp.
#include "query/query_node.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "bus/bus_reader.hpp"
#include "security/signature.hpp"
#include "domain/queries.hpp"
#include "schemas/catalog.hpp"
#include "store/inspect.hpp"

namespace jupiter {
namespace {

constexpr Millis kMaxParked{1000};
// Queries waiting for a sequence at most (more are answered `behind` at once: another replica, or later).
constexpr std::size_t kMaxParkedQueries = 10'000;
constexpr Millis kReplayTimeout{1000};
// Events per replay request (the command node serves at most 5,000), and requests in flight: two
// keep the command node reading the next chunk while this replica applies the current one.
constexpr uint64_t kReplayChunk = 5000;
constexpr std::size_t kReplayWindow = 2;
constexpr Millis kSnapshotTimeout{3000};

// Subscribes to events and to the writing command node's heartbeat (for the head sequence).
std::vector<std::string> busTopics(const Config& config) {
    std::vector<std::string> topics{std::string(kEventsTopic)};
    for (const auto* n : config.nodesWith(Role::Command)) topics.push_back(std::string(kHeartbeatTopic) + n->name);
    return topics;
}

std::vector<std::string> commandNodes(const Config& config) {
    std::vector<std::string> names;
    for (const auto* n : config.nodesWith(Role::Command)) names.push_back(n->name);
    return names;
}

}  // namespace

QueryNode::QueryNode(zmq::context_t& ctx, const DaemonContext& dc, const Clock& clock, Store& store)
    : dc_(dc),
      clock_(clock),
      store_(store),
      core_(ctx, dc, clock),
      replicator_(store, clock, kReplayTimeout, kReplayChunk, kReplayWindow),
      metrics_(*dc.metrics),
      router_(core_.wiring().open(Link::Control)),
      sub_(core_.wiring().open(Link::Subscribe, busTopics(dc.config))),
      pub_(core_.wiring().open(Link::Publish)),
      sources_(core_.wiring().openPool(Link::CommandSources, 0)),
      installer_(store, clock, commandNodes(dc.config), dc.node->snapshotChunkBytes, kSnapshotTimeout),
      leaders_(Millis(dc.config.heartbeatIntervalMs * dc.config.heartbeatLiveness), dc.config.replicated()),
      heartbeat_(pub_, clock, *dc.node, Millis(dc.config.heartbeatIntervalMs)),
      waits_(clock, kMaxParked, kMaxParkedQueries, Millis(dc.config.heartbeatIntervalMs)),
      dropLiveEvery_(dc.node->dropLiveBatchesEvery) {
    if (dropLiveEvery_)
        dc.log->warn("test hook: dropping every {} live event batch (drop_live_batches_every)", dropLiveEvery_);
    if (dc.node->refuseEventSeq) {
        replicator_.refuseEvent(dc.node->refuseEventSeq);
        dc.log->warn("test hook: this replica refuses to apply event {} (refuse_event_seq)", dc.node->refuseEventSeq);
    }
}

void QueryNode::start() {
    core_.loop().onReadable(router_, [this] {
        onRequest();
        paceTimer();
    });
    core_.loop().onReadable(sub_, [this] {
        onBus();
        paceTimer();
    });
    core_.loop().onReadable(sources_.socket, [this] {
        onSourceReply();
        paceTimer();
    });
    core_.loop().everyOnTheBeat(Millis(dc_.config.heartbeatIntervalMs), [this] {
        onTimer();
        paceTimer();
    });
    dc_.log->info("serving queries on {} from sequence {}", dc_.node->bind, store_.seq());
    core_.start([this] { onHeartbeatTimer(); });
    if (StateInstall::interrupted(store_)) {
        startInstall("the last install of a state copy was cut short (the process stopped); it starts over");
    } else if (store_.seq() > 0) {
        // Ask for whatever happened while we were away, without waiting for a heartbeat to tell us.
        // (A new, empty replica waits for the leader's heartbeat instead, a moment: knowing the
        // head, it installs a copy of the state rather than replay a long history.)
        replicator_.onHead(store_.seq() + 1);
    }
    requestReplayIfDue();
}

int QueryNode::run() {
    start();
    return core_.serve();
}

void QueryNode::onRequest() {
    serveRequests(router_, kDrainRequests, [this](Request& req, Envelope& env) {
        if (!permitted(core_.gate(), router_, req, env, env.kind == Kind::Query ? Action::Query : controlAction(env))) return;
        if (env.kind == Kind::Query) {
            if (installer_.active()) {
                sendReply(router_, req.route,
                          makeErrorReply(env.name, env.id,
                                         makeError("behind", fmt::format("{} is installing a copy of the state ({} "
                                                                         "records so far); ask another replica",
                                                                         dc_.node->name, installer_.records()))));
                return;
            }
            if (env.minSeq && *env.minSeq > replicator_.applied()) {
                if (replicator_.stuck()) return refuseStuck(req.route, env);
                return park(req, env);
            }
            answer(req.route, env);
            return;
        }
        Envelope reply;
        if (env.kind == Kind::Control && env.name == "ping") {
            reply = core_.pong(env, store_.seq());
            reply.body["gaps"] = replicator_.gapsSeen();  // how many gaps replay has repaired
        } else if (auto inspected = env.kind == Kind::Control ? inspectRequest(store_, env.name, env.body)
                                                              : std::nullopt) {
            reply = makeReply(env, std::move(*inspected));
        } else {
            reply = makeErrorReply(env.name, env.id,
                                   makeError("unknown_message",
                                             fmt::format("a query node answers queries, ping, digest and keys; send "
                                                         "{} {} to the gateway", kindName(env.kind), env.name)));
        }
        reply.seq = store_.seq();
        reply.node = dc_.node->name;
        sendReply(router_, req.route, reply);
    });
}

void QueryNode::answer(const Frames& route, const Envelope& q) {
    const TimePoint started = clock_.now();
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
    metrics_.answered(metricNameLabel(Kind::Query, q.name), result ? "ok" : result.error().code,
                      std::chrono::duration_cast<Micros>(clock_.now() - started));
}

void QueryNode::onBus() {
    const std::size_t malformed = drainBus(
        sub_, kDrainRequests, dc_.config,
        [this](const Heartbeat& hb) {
            // A head drives what we replay and whether we install a copy: only the leader's counts.
            if (!leaders_.onHeartbeat(hb, clock_.now())) return;
            if (leaders_.headLeader() != leader_) {
                // Replay goes to the leader alone: requests in flight to the old one are given up.
                leader_ = leaders_.headLeader();
                if (!installer_.active()) replicator_.restart();
            }
            epoch_ = std::max(epoch_, leaders_.headEpoch());
            replicator_.onHead(leaders_.head());
        },
        [this](const BusMessage& m) {
            const Envelope& env = m.env;
            // While a state copy is installed, events wait: the replay after it brings them.
            if (env.kind != Kind::Events || installer_.active()) return;
            if (dropLiveEvery_ && droppedByTestHook(env.body["events"])) return;
            // Fencing: events from a leader older than one we have heard from are refused (replay
            // from a command node fills whatever they would have brought).
            const uint64_t epoch = env.body.value("epoch", uint64_t{0});
            if (epoch < epoch_) {
                if (++staleBatches_ == 1 || staleBatches_ % 1000 == 0)
                    dc_.log->warn("refused {} event batch(es) from an old leader (epoch {} < {})", staleBatches_, epoch,
                                  epoch_);
                return;
            }
            if (!fromLeader(m, epoch)) return;
            epoch_ = epoch;
            const TimePoint started = clock_.now();
            auto applied = replicator_.onLive(env.body["events"], env.body["head"].get<uint64_t>());
            if (applied)
                metrics_.applied("live", *applied, std::chrono::duration_cast<Micros>(clock_.now() - started));
            afterApply(applied);
        });
    if (malformed) dc_.log->warn("ignored {} malformed bus message(s)", malformed);
    requestReplayIfDue();
}

// Brokers relay events; they need not be trusted. A batch is applied only if its signature (see
// signature.hpp) verifies under the signing key, from its certificate, of the node whose heartbeats
// lead the batch's epoch. A batch of an epoch whose leader we have not heard yet waits for replay
// from that leader; one that does not verify is dropped and counted as refused.
bool QueryNode::fromLeader(const BusMessage& m, uint64_t epoch) {
    // Mode none trusts every local peer; sign_events = false trusts the brokers (to measure the cost).
    if (!core_.gate().credentials().curve() || !dc_.config.signEvents) return true;
    if (epoch != leaders_.headEpoch() || leaders_.headLeader().empty()) return false;
    const Identity* leader = core_.gate().registry().byName(leaders_.headLeader());
    if (leader && verifySignature(leader->signingKey, m.raw, m.signature)) return true;
    core_.gate().refuse(nullptr, fmt::format("an event batch of epoch {} that {} did not sign ({}); replicas replay from the "
                                      "leader instead", epoch, leaders_.headLeader(),
                                      !leader || leader->signingKey.empty()
                                          ? "its certificate has no signing-key: re-create the cluster's keys"
                                          : "a forgery, or a broker that altered it"));
    return false;
}

bool QueryNode::droppedByTestHook(const Doc& events) {
    // Every broker delivers its own copy of a batch: the hook counts distinct batches (by their
    // last sequence) and drops every copy of every Nth one, so the replica really misses it.
    if (!events.is_array() || events.empty() || !events.back().is_object()) return false;
    auto seq = events.back().find("seq");
    if (seq == events.back().end() || !seq->is_number_unsigned()) return false;
    const uint64_t end = seq->get<uint64_t>();
    if (end <= newestBatchEnd_) return std::find(droppedEnds_.begin(), droppedEnds_.end(), end) != droppedEnds_.end();
    newestBatchEnd_ = end;
    if (++liveBatches_ % dropLiveEvery_ != 0) return false;
    droppedEnds_.push_back(end);
    if (droppedEnds_.size() > 16) droppedEnds_.pop_front();
    return true;
}

void QueryNode::onReplayReply(const std::string& from, const Envelope& reply) {
    if (installer_.active()) return;  // an answer asked for before the install began
    // History is the leader's word: an answer from a node no longer leading is dropped (its request
    // is asked again of the leader when it times out).
    if (from != leader_) return;
    if (reply.kind != Kind::Reply || !reply.body.contains("events") || !reply.body["events"].is_array() ||
        !reply.body.contains("head") || !reply.body["head"].is_number_unsigned()) {
        dc_.log->warn("ignored a bad replay reply from {}", from);
        return;
    }
    const TimePoint started = clock_.now();
    auto applied = replicator_.onReplay(reply.body["events"], reply.body["head"].get<uint64_t>());
    if (applied) metrics_.applied("replay", *applied, std::chrono::duration_cast<Micros>(clock_.now() - started));
    afterApply(applied);
    if (catchUp_ && replicator_.lag() == 0) {
        const uint64_t events = replicator_.applied() - catchUp_->second;
        const double secs = std::chrono::duration<double>(clock_.now() - catchUp_->first).count();
        if (events >= kReplayChunk)
            dc_.log->info("caught up at sequence {}: {} events replayed in {:.2f} s ({:.0f} events/s)",
                          replicator_.applied(), events, secs, secs > 0 ? static_cast<double>(events) / secs : 0.0);
        catchUp_.reset();
    }
}

void QueryNode::afterApply(const Result<std::size_t>& r) {
    if (!r) return core_.fail(r.error().message);
    if (*r > 0 && !waits_.empty())
        for (auto& w : waits_.ready(replicator_.applied())) answer(w.route, w.query);
    if (replicator_.stuck() && !heartbeat_.info().stuck()) onStuck();
}

// Logged once; the heartbeat says it from now on, so gateways stop routing here and the monitor
// records it. Queries waiting for a sequence this replica will not reach are answered now.
void QueryNode::onStuck() {
    const Stuck& st = *replicator_.stuck();
    std::string reason = st.reason.substr(0, 400);
    for (char& ch : reason)
        if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = ' ';
    heartbeat_.info().stuckAt = st.seq;
    heartbeat_.info().stuckReason = reason;
    dc_.log->critical("stuck at {}: {}. This replica stops applying events (it answers at sequence {}, and "
                      "gateways route elsewhere); restart it with a build that can apply event {}, or move its data "
                      "folder aside to rebuild it",
                      st.seq, reason, replicator_.applied(), st.seq);
    for (auto& w : waits_.ready(std::numeric_limits<uint64_t>::max())) refuseStuck(w.route, w.query);
    onHeartbeatTimer();
}

void QueryNode::refuseStuck(const Frames& route, const Envelope& q) {
    Envelope reply = makeErrorReply(
        q.name, q.id,
        makeError("unavailable", fmt::format("{} is {}; it cannot reach sequence {}: ask another replica",
                                             dc_.node->name, heartbeat_.info().stuckText(), q.minSeq.value_or(0))));
    reply.seq = store_.seq();
    reply.node = dc_.node->name;
    sendReply(router_, route, reply);
}

bool QueryNode::installWanted() const {
    const uint64_t minLag = dc_.node->snapshotMinLag;
    const uint64_t lag = replicator_.lag();
    return minLag > 0 && lag >= minLag && lag > replicator_.applied();
}

void QueryNode::startInstall(const std::string& why) {
    dc_.log->info("installing a copy of the state from a command node instead of replaying: {}", why);
    catchUp_.reset();
    if (auto ok = installer_.start(leader_); !ok) core_.fail(ok.error().message);
}

void QueryNode::sendInstallRequests() {
    while (auto r = installer_.due()) {
        Envelope req;
        req.kind = Kind::Control;
        req.name = "snapshot";
        req.id = std::move(r->id);
        req.body = std::move(r->body);
        if (!sendFrames(sources_.socket, {r->node, encodeEnvelope(req)})) installer_.unsent();
    }
    if (auto trouble = installer_.takeTrouble(); !trouble.empty()) dc_.log->warn("{}", trouble);
}

void QueryNode::onSourceReply() {
    // Two answers per turn of the loop at most (a replay chunk is up to 5,000 events): queries,
    // pings and heartbeats are served between them, so a replaying replica still answers.
    drain(sources_.socket, 2, [this](Frames&& frames) {
        // [command node, envelope]
        if (frames.size() != 2) return;
        auto env = decodeEnvelopeHeader(view(frames[1]));
        if (!env) {
            dc_.log->warn("ignored a bad snapshot answer from {}: {}", std::string(view(frames[0])), env.error().message);
            return;
        }
        if (env->kind == Kind::Control && env->name == "pong") return onHeadProbe(std::string(view(frames[0])), *env);
        if (env->name == "replay") return onReplayReply(std::string(view(frames[0])), *env);
        auto finished = installer_.onReply(std::string(view(frames[0])), env->id, env->body, env->kind == Kind::Error);
        if (!finished) return core_.fail(finished.error().message);
        if (*finished) {
            const auto& f = **finished;
            replicator_.restart();
            dc_.log->info("installed a copy of the state at sequence {} from {}: {} records in {:.2f} s ({:.0f} "
                          "records/s); replaying what follows",
                          f.seq, installer_.source(), f.records, f.seconds,
                          f.seconds > 0 ? static_cast<double>(f.records) / f.seconds : 0.0);
        }
    });
    requestReplayIfDue();
}

void QueryNode::requestReplayIfDue() {
    // Stuck: neither a replay nor a copy of the state past the event this build cannot apply.
    if (replicator_.stuck()) return;
    if (!installer_.active() && installWanted())
        startInstall(fmt::format("{} events behind, holding {}", replicator_.lag(), replicator_.applied()));
    if (installer_.active()) return sendInstallRequests();
    if (leader_.empty()) return;  // replay waits for the leader's heartbeat
    while (auto from = replicator_.replayDue()) {
        if (!catchUp_) catchUp_.emplace(clock_.now(), replicator_.applied());
        Envelope req;
        req.kind = Kind::Control;
        req.name = "replay";
        req.id = fmt::format("{}-replay-{}", dc_.node->name, *from);
        req.body = {{"from", *from}, {"max", replicator_.chunk()}};
        sendFrames(sources_.socket, {leader_, encodeEnvelope(req)});  // lost if it is gone: asked again later
        dc_.log->debug("asked {} for events from {} (head {})", leader_, *from, replicator_.head());
    }
}

void QueryNode::park(Request& req, Envelope& env) {
    if (!waits_.add(std::move(req.route), std::move(env), replicator_.head())) {
        sendReply(router_, req.route,
                  makeErrorReply(env.name, env.id,
                                 makeError("behind",
                                           fmt::format("{} has {} queries waiting for sequences it has not applied; "
                                                       "ask another replica, or retry",
                                                       dc_.node->name, waits_.size()))));
        return;
    }
    probeHead();
}

// A ping to the leader, whose answer carries its committed sequence (see read_wait.hpp).
void QueryNode::probeHead() {
    if (leader_.empty()) return;
    auto id = waits_.probeDue(dc_.node->name);
    if (!id) return;
    Envelope ping;
    ping.kind = Kind::Control;
    ping.name = "ping";
    ping.id = std::move(*id);
    sendFrames(sources_.socket, {leader_, encodeEnvelope(ping)});  // if the leader is gone: again later
}

void QueryNode::onHeadProbe(const std::string& node, const Envelope& pong) {
    const uint64_t head = pong.body.value("seq", uint64_t{0});
    auto refused = waits_.onProbeAnswer(pong.id, head, node);
    replicator_.onHead(head);  // a command node's own word
    for (const auto& r : refused) refuse(r);
    probeHead();  // for those that came after the probe went
}

void QueryNode::refuse(const ReadWait::Refused& r) {
    Envelope reply = makeErrorReply(r.waiting.query.name, r.waiting.query.id, r.error);
    reply.seq = store_.seq();
    reply.node = dc_.node->name;
    sendReply(router_, r.waiting.route, reply);
}

// The timer's work has deadlines in tens of milliseconds only while queries wait for a sequence
// or the replica is behind (replays, an install): then it runs every 10 ms. Otherwise the timer on
// the heartbeat's beat is enough, and it shares the heartbeat's wake-up: an idle replica wakes
// about ten times a second, not a hundred.
void QueryNode::paceTimer() {
    const bool busy = !waits_.empty() || installer_.active() || replicator_.lag() > 0;
    if (busy && !fastTimer_) {
        fastTimer_ = core_.loop().everyOnTheBeat(Millis(10), [this] {
            onTimer();
            paceTimer();
        });
    } else if (!busy && fastTimer_) {
        core_.loop().cancel(*fastTimer_);
        fastTimer_.reset();
    }
}

void QueryNode::onTimer() {
    for (const auto& r : waits_.expired(replicator_.applied(), replicator_.head(), dc_.node->name)) refuse(r);
    probeHead();  // at most once a heartbeat interval, while queries wait past the head
    requestReplayIfDue();
}

void QueryNode::onHeartbeatTimer() {
    heartbeat_.publish(store_.seq(), store_.digest());
    metrics_.sample(store_, replicator_, staleBatches_, core_.gate());
}

}  // namespace jupiter
