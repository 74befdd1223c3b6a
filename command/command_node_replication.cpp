// Command node: replication to standbys and leadership (several command nodes); see
// command_node.hpp for the protocol and leadership.hpp / replication_log.hpp for the rules.
#include <tuple>

#include <fmt/format.h>

#include "bus/request.hpp"
#include "client/client.hpp"
#include "command/command_node.hpp"
#include "election/etcd_lock.hpp"

namespace jupiter {
namespace {

constexpr std::size_t kFetchBytes = 1u << 20;   // entries per fetch answer, at most (and at least one)
constexpr Millis kFetchHold{100};               // a fetch with nothing new waits this long for an entry
constexpr Millis kFetchPatience{1000};          // a fetch unanswered this long is sent again
constexpr Millis kFetchRetry{50};               // after a refusal, or while no leader is known
constexpr Millis kStandbySilence{1000};         // no standby fetched for this long: commands are refused
constexpr Millis kFetchRefusedRetry{5000};      // after a refusal that asking again at once would not change
constexpr Millis kOwnStall{100};                // the replication timer (every 25 ms) late by this: we did not run

std::string electorEndpoint(const std::string& node) { return "inproc://elector-" + node; }

}  // namespace

void CommandNode::startReplication(zmq::context_t& ctx) {
    replog_ = std::make_unique<ReplicationLog>(store_);
    position_.set(replog_->last());
    committedChanged();
    electorPair_ = zmq::socket_t(ctx, zmq::socket_type::pair);
    electorPair_.bind(electorEndpoint(dc_.node->name));
    peers_.emplace(core_.wiring().openPool(Link::CommandPeers, ZMQ_EVENT_DISCONNECTED));
    const auto& etcd = dc_.config.etcd;
    ElectorSettings s;
    s.etcdEndpoints = etcd.endpoints;
    auto credentials = etcdCredentials(etcd);
    if (!credentials) throw std::runtime_error(fmt::format("cannot reach etcd: {}", credentials.error().message));
    s.etcdCredentials = std::move(*credentials);
    s.key = etcd.key;
    s.ttlSeconds = etcd.leaseTtlSeconds;
    s.keepAliveEvery = Millis(etcd.leaseTtlSeconds * 1000 / 5);
    // Five intervals, not fewer: a loop starved of CPU on a small machine (or under sanitizers)
    // misses two or three heartbeats without being stuck, and a needless step-down costs a failover.
    s.loopSilence = Millis(5 * dc_.config.heartbeatIntervalMs);
    pulse_.stamp(clock_.now());
    std::vector<ElectorPeer> peers;
    for (const auto* n : core_.wiring().peers(Link::CommandPeers)) peers.push_back({n->name, n->endpoint});
    elector_ = std::make_unique<Elector>(ctx, electorEndpoint(dc_.node->name), s, dc_.node->name, std::move(peers),
                                         dc_.credentials, clock_, position_, pulse_);
}

std::optional<std::string> CommandNode::refusal() const {
    if (!replicated()) return std::nullopt;
    if (!lead_.leading()) {
        if (lead_.leader().empty())
            return fmt::format("{} is a standby command node and no leader is known yet (an election is under way, "
                               "or etcd is unreachable); the gateway resends", dc_.node->name);
        return fmt::format("{} is a standby command node; the leader is {} (epoch {}); the gateway resends there",
                           dc_.node->name, lead_.leader(), lead_.epoch());
    }
    const TimePoint now = clock_.now();
    if (now - leaderSince_ < kStandbySilence) return std::nullopt;
    for (const auto& [name, f] : followers_)
        if (now - f.seen < kStandbySilence) return std::nullopt;
    std::string standbys;
    for (const auto* n : core_.wiring().peers(Link::CommandPeers)) standbys += (standbys.empty() ? "" : ", ") + n->name;
    return fmt::format("no standby command node holds a copy ({} silent for over {} ms): a command is acknowledged "
                       "only once two command nodes have it; start one (jupiter start {})",
                       standbys, kStandbySilence.count(), core_.wiring().peers(Link::CommandPeers).front()->name);
}

void CommandNode::onElector() {
    const auto standing = std::make_tuple(lead_.role(), lead_.leader(), lead_.epoch());
    drain(electorPair_, 64, [this](Frames&& frames) {
        if (frames.empty()) return;
        auto doc = unpackDoc(view(frames[0]));
        auto r = doc ? decodeReport(*doc) : std::nullopt;
        if (!r) return;
        switch (r->role) {
            case LeaderRole::Leader:
                if (!lead_.leading() || lead_.epoch() != r->epoch)
                    becomeLeader(r->epoch, r->validUntil);
                else
                    lead_.lead(r->epoch, r->validUntil);
                release();
                break;
            case LeaderRole::Standby:
                if (lead_.leading()) stepDown(fmt::format("{} leads now (epoch {})", r->leader, r->epoch));
                if (lead_.leader() != r->leader || lead_.epoch() != r->epoch) {
                    dc_.log->info("STANDBY of {} (epoch {}) from entry {}", r->leader, r->epoch, replog_->last().index);
                    fetchId_.clear();
                    leaderSuspected_ = false;
                    leaderHeard_ = false;
                }
                lead_.follow(r->leader, r->epoch);
                break;
            case LeaderRole::Unknown:
                if (lead_.leading()) stepDown(r->why);
                if (lead_.role() != LeaderRole::Unknown) dc_.log->warn("no leader known: {}", r->why);
                lead_.unknown();
                fetchId_.clear();
                break;
        }
    });
    // Who we say leads is what seconds a leader's claim (LeaderTracker): say it now, not at the
    // next heartbeat.
    if (standing != std::make_tuple(lead_.role(), lead_.leader(), lead_.epoch())) publishHeartbeat();
}

void CommandNode::becomeLeader(uint64_t epoch, TimePoint validUntil) {
    // The first entry of an epoch carries no writes: once a standby holds it, everything before it
    // is committed too (a leader never counts copies of an older epoch's entries by themselves).
    auto txn = store_.begin();
    epochStart_ = replog_->record(*txn, epoch);
    if (auto ok = store_.commit(*txn, dc_.config.syncDurable); !ok) return core_.fail(ok.error().message);
    replog_->recorded();
    position_.set(replog_->last());
    processor_.reload();
    held_.clear();
    followers_.clear();
    fetchId_.clear();
    leaderSince_ = clock_.now();
    lead_.lead(epoch, validUntil);
    dc_.log->info("LEADER {} (epoch {}) from entry {}, sequence {}; commands are acknowledged once a standby holds "
                  "them", dc_.node->name, epoch, epochStart_, store_.seq());
    onHeartbeatTimer();
}

void CommandNode::stepDown(const std::string& why) {
    std::size_t unanswered = 0;
    for (const auto& h : held_) unanswered += h.replies.size();
    dc_.log->warn("no longer the leader: {}; {} command(s) not acknowledged here (their senders resend them to the "
                  "new leader, which has them if they were committed)", why, unanswered);
    held_.clear();
    followers_.clear();
    processor_.reload();
    lead_.unknown();
}

// Why a request `what` in the name of command node `name` is refused (not another command node,
// or, with curve, not sent with that node's key), or nullopt when it may be served.
std::optional<Error> CommandNode::notFromPeer(const Request& req, const std::string& name, std::string_view what) {
    const NodeConfig* peer = dc_.config.node(name);
    if (!peer || peer->role != Role::Command || peer == dc_.node)
        return makeError("bad_field", fmt::format("{} in the name of '{}', which is not another command node", what, name));
    if (core_.gate().credentials().curve()) {
        const Identity* who = core_.gate().sender(req.peer, what);
        if (!who || who->name != name) {
            core_.gate().refuse(who, fmt::format("{} in the name of {}", what, name));
            return makeError("forbidden", fmt::format("{} in the name of {} must come with {}'s key", what, name, name));
        }
    }
    return std::nullopt;
}

// A candidate's question before it campaigns: our log position, answered only after we fence the
// epochs it has seen end (Leadership::fence): from now on we acknowledge none of their writes, so
// the candidate may count on our answer (mayCampaign). Only another command node may ask, with its
// own key; a stolen command node key could at most delay acknowledgements for two lease TTLs a try.
void CommandNode::serveFence(Request& req, const Envelope& env) {
    const std::string name = env.body.value("node", std::string());
    auto refuse = [&](const char* code, const std::string& why) {
        sendReply(control_, req.route, makeErrorReply(env.name, env.id, makeError(code, why)));
    };
    if (auto bad = notFromPeer(req, name, "a fence")) return refuse(bad->code.c_str(), bad->message);
    if (!replicated()) return refuse("unavailable", fmt::format("{} replicates to no standby", dc_.node->name));
    const uint64_t revision = env.body["revision"].get<uint64_t>();
    const bool ours = lead_.epoch() <= revision && lead_.role() != LeaderRole::Unknown;
    lead_.fence(revision, clock_.now() + Millis(2000 * dc_.config.etcd.leaseTtlSeconds));
    if (elector_) elector_->lookSoon();
    if (ours)
        dc_.log->info("{} asked for our log position to campaign (the leader key was gone at etcd revision {}): "
                      "acknowledging nothing more of epoch {} (led by {})",
                      name, revision, lead_.epoch(), lead_.leader());
    Envelope reply = makeReply(env, {{"log_index", replog_->last().index}, {"log_epoch", replog_->last().epoch}});
    reply.seq = committedSeq_;
    reply.node = dc_.node->name;
    sendReply(control_, req.route, reply);
}

void CommandNode::serveFetch(Request& req, const Envelope& env) {
    const std::string name = env.body.value("node", std::string());
    auto refuse = [&](const char* code, const std::string& why) {
        sendReply(control_, req.route, makeErrorReply(env.name, env.id, makeError(code, why)));
    };
    // Only the standby itself may say what it holds: its acknowledgements commit writes.
    if (auto bad = notFromPeer(req, name, "a fetch")) return refuse(bad->code.c_str(), bad->message);
    if (!lead_.leading() || env.body["epoch"].get<uint64_t>() != lead_.epoch())
        return refuse("unavailable", fmt::format("{} does not lead epoch {} (it knows {} as leader, epoch {})",
                                                 dc_.node->name, env.body["epoch"].get<uint64_t>(), lead_.leader(),
                                                 lead_.epoch()));
    const uint64_t from = env.body["from"].get<uint64_t>();
    const uint64_t lastEpoch = env.body["last_epoch"].get<uint64_t>();
    const uint64_t prev = from == 0 ? 0 : from - 1;
    const auto have = replog_->epochAt(prev);
    if (!have && prev > 0 && prev <= replog_->forgotten())
        return refuse("too_far_behind",
                      fmt::format("{} is behind entry {}, and entries up to {} are forgotten here (the event log is "
                                  "kept, the replication log only for {} entries): stop {}, replace its data folder "
                                  "with a copy of a standby's, and start it",
                                  name, prev, replog_->forgotten(), kRetainEntries, name));
    if (!have || *have != lastEpoch) {
        // Its log parts from ours (Kafka's KIP-101 / KIP-279): we say where our history of the latest
        // epoch we share with it ends; it takes back what it holds beyond that.
        const auto parting = replog_->partingFor({lastEpoch, prev});
        dc_.log->info("{} holds entries up to {} (epoch {}) that are not ours: our epoch {} ends at {}", name, prev,
                      lastEpoch, parting.epoch, parting.end);
        sendReply(control_, req.route,
                  makeReply(env, {{"truncate_epoch", parting.epoch}, {"truncate_end", parting.end},
                                  {"epoch", lead_.epoch()}}));
        return;
    }
    // What it says it holds must be proven: the digest after that entry, which only holding the
    // entries gives (a stolen key's word alone would commit writes no standby has).
    if (prev > 0) {
        const auto ours = replog_->digestAt(prev);
        const uint64_t theirs = env.body["last_digest"].get<uint64_t>();
        if (!ours || *ours != theirs) {
            core_.gate().refuse(core_.gate().sender(req.peer, "a fetch"),
                         fmt::format("a fetch from {} whose digest after entry {} is not ours", name, prev));
            return refuse("diverged", fmt::format("{} says it holds entry {} (epoch {}), but its digest after it "
                                                  "({:016x}) is not {}'s; nothing is acknowledged: re-seed {}'s data "
                                                  "folder from a copy of a standby's",
                                                  name, prev, lastEpoch, theirs, dc_.node->name, name));
        }
    }
    Follower& f = followers_[name];
    f.acked = std::max(f.acked, prev);
    f.seen = clock_.now();
    f.waiting = std::move(req.route);
    f.waitingId = env.id;
    f.from = from;
    f.deadline = clock_.now() + kFetchHold;
    advanceCommit();
    if (from <= replog_->last().index) answerFetch(f);
}

// The answer is the envelope (entry indices, commit index, epoch) followed by one frame per entry,
// so that an entry of any size travels as it is (the standby's socket takes frames of any size from
// the command nodes it dialled).
void CommandNode::answerFetch(Follower& f) {
    if (!f.waiting) return;
    const auto entries = replog_->read(f.from, kFetchBytes);
    Doc indices = Doc::array();
    for (const auto& e : entries) indices.push_back(e.index);
    Envelope reply;
    reply.kind = Kind::Reply;
    reply.name = "fetch";
    reply.id = f.waitingId;
    reply.body = {{"entries", std::move(indices)}, {"commit", replog_->commit()}, {"epoch", lead_.epoch()}};
    reply.node = dc_.node->name;
    Frames out;
    for (auto& r : *f.waiting) out.push_back(std::move(r));
    out.push_back(msg(encodeEnvelope(reply)));
    for (const auto& e : entries) out.push_back(msg(encodeEntry(e)));
    sendFrames(control_, out);
    f.waiting.reset();
}

void CommandNode::advanceCommit() {
    if (!lead_.canAcknowledge(clock_.now())) return;
    uint64_t best = 0;
    for (const auto& [name, f] : followers_) best = std::max(best, f.acked);
    if (best < epochStart_ || best <= replog_->commit()) return;
    replog_->setCommit(best);
    committedChanged();
    release();
}

void CommandNode::committedChanged() { committedSeq_ = replog_->seqAt(replog_->commit()); }

void CommandNode::release() {
    if (!lead_.canAcknowledge(clock_.now())) return;
    while (!held_.empty() && held_.front().index <= replog_->commit()) {
        auto& h = held_.front();
        metrics_.replicated(std::chrono::duration_cast<Micros>(clock_.now() - h.since));
        sendReplies(h.replies);
        if (!h.events.empty()) publishEvents(h.events);
        held_.pop_front();
    }
}

void CommandNode::onPeerEvents() {
    while (auto ev = recvSocketEvent(peers_->events)) {
        const auto peer = peers_->nodeByEndpoint.find(ev->endpoint);
        if (peer == peers_->nodeByEndpoint.end() || lead_.role() != LeaderRole::Standby || peer->second != lead_.leader())
            continue;
        if (!leaderHeard_) continue;  // never in touch: it may be us who are cut off (see suspectSilentLeader)
        dc_.log->info("lost the connection to the leader {} (epoch {}): asking etcd to end its lease now", peer->second,
                      lead_.epoch());
        elector_->suspect(lead_.leader(), lead_.epoch());
    }
}

void CommandNode::onReplicationTimer() {
    const TimePoint now = clock_.now();
    if (now - lastTick_ > kOwnStall) resumedAt_ = now;  // we did not run: what came meanwhile is unread
    lastTick_ = now;
    if (lead_.leading()) {
        for (auto& follower : followers_)
            if (follower.second.waiting && now >= follower.second.deadline) answerFetch(follower.second);
        release();
        return;
    }
    if (lead_.leader().empty() || lead_.leader() == dc_.node->name) return;
    suspectSilentLeader(now);
    if (!fetchId_.empty() && now - fetchSentAt_ < kFetchPatience) return;
    if (now >= nextFetch_) sendFetch();
}

// A leader answers a fetch within kFetchHold even with nothing new; one that has left ours
// unanswered for as long again as a heartbeat's liveness has stopped (SIGSTOP, a wedged host): we
// ask the elector to end its lease now instead of when it lapses (see Elector::run for why this is
// safe, and what a false suspicion costs: one leader change, no write). A fetch we did not send
// (fenced, not connected) proves nothing, nor does a silence while we ourselves did not run, nor
// one from a leader we have never heard from: a node cut off from the others (a deposed leader in a
// partition) must not end the lease of every leader elected without it, over and over (Raft's
// pre-vote answers the same disruption).
void CommandNode::suspectSilentLeader(TimePoint now) {
    if (fetchId_.empty() || leaderSuspected_ || !leaderHeard_) return;
    const Millis silence = kFetchHold + Millis(dc_.config.heartbeatLiveness * dc_.config.heartbeatIntervalMs);
    if (now - std::max(fetchSentAt_, resumedAt_) <= silence) return;
    onPeers();  // an answer may be waiting behind this timer in the same turn of the loop
    if (fetchId_.empty() || fetchSentAt_ + silence >= now) return;
    leaderSuspected_ = true;
    dc_.log->warn("the leader {} (epoch {}) has not answered our fetch for {} ms: asking etcd to end its lease now",
                  lead_.leader(), lead_.epoch(), std::chrono::duration_cast<Millis>(now - fetchSentAt_).count());
    elector_->suspect(lead_.leader(), lead_.epoch());
}

void CommandNode::sendFetch() {
    if (lead_.fenced(lead_.epoch(), clock_.now())) {
        // A candidate counts on the position we answered (serveFence): asking again would acknowledge more.
        fetchId_.clear();
        nextFetch_ = clock_.now() + kFetchRetry;
        return;
    }
    const LogPosition last = replog_->last();
    Envelope req = makeRequest(Kind::Control, "fetch",
                               {{"from", last.index + 1}, {"last_epoch", last.epoch},
                                {"last_digest", replog_->digestAt(last.index).value_or(0)}, {"epoch", lead_.epoch()},
                                {"node", dc_.node->name}});
    fetchId_ = req.id;
    fetchSentAt_ = clock_.now();
    if (!sendFrames(peers_->socket, {lead_.leader(), encodeEnvelope(req)})) {
        fetchId_.clear();  // not connected to the leader (yet)
        nextFetch_ = clock_.now() + kFetchRetry;
    }
}

void CommandNode::onPeers() {
    drain(peers_->socket, 64, [this](Frames&& frames) {
        // [leader, envelope, entry...]
        if (frames.size() < 2) return;
        auto env = decodeEnvelopeHeader(view(frames[1]));
        if (!env || env->id != fetchId_ || fetchId_.empty()) return;  // late, or from an old leader
        fetchId_.clear();
        leaderSuspected_ = false;
        leaderHeard_ = true;
        try {
            onFetchReply(*env, frames);
        } catch (const std::exception& e) {  // a field of the wrong type: refuse the answer, ask again
            dc_.log->error("ignored a malformed fetch answer from {}: {}", lead_.leader(), e.what());
            nextFetch_ = clock_.now() + kFetchRetry;
        }
    });
}

void CommandNode::onFetchReply(const Envelope& reply, const Frames& frames) {
    if (lead_.leading()) return;
    if (reply.kind != Kind::Reply) {
        const std::string code = reply.body.value("code", std::string());
        if (code == "too_far_behind" || code == "forbidden" || code == "bad_field") {
            dc_.log->error("{} refuses to replicate to us: {}", lead_.leader(), reply.body.value("message", code));
            nextFetch_ = clock_.now() + kFetchRefusedRetry;
        } else {
            nextFetch_ = clock_.now() + kFetchRetry;
        }
        return;
    }
    const Doc& b = reply.body;
    if (b.contains("truncate_end")) {
        const uint64_t epoch = b.at("truncate_epoch").get<uint64_t>();
        const auto before = replog_->last();
        const uint64_t to = replog_->cutFor({epoch, b.at("truncate_end").get<uint64_t>()});
        if (to >= before.index) {
            dc_.log->error("{} says our logs part at entry {} (epoch {}), but we hold nothing after it; asking again "
                           "later", lead_.leader(), to, epoch);
            nextFetch_ = clock_.now() + kFetchRefusedRetry;
            return;
        }
        if (auto ok = replog_->truncate(to); !ok) return core_.fail(ok.error().message);
        dc_.log->warn("took back entries {}..{} that the leader {} does not have (written here, never acknowledged)",
                      to + 1, before.index, lead_.leader());
        position_.set(replog_->last());
        return sendFetch();
    }
    const Doc& indices = b.at("entries");
    if (!indices.is_array() || indices.size() + 2 != frames.size()) {
        dc_.log->error("ignored a fetch answer from {} whose entries do not match its frames", lead_.leader());
        nextFetch_ = clock_.now() + kFetchRetry;
        return;
    }
    std::vector<LogEntry> entries;
    for (std::size_t i = 0; i < indices.size(); ++i) {
        auto entry = decodeEntry(indices[i].get<uint64_t>(), view(frames[i + 2]));
        if (!entry) {
            dc_.log->error("the leader sent an entry that does not decode: {}", entry.error().message);
            nextFetch_ = clock_.now() + kFetchRetry;
            return;
        }
        entries.push_back(std::move(*entry));
    }
    if (!entries.empty()) {
        if (auto ok = replog_->append(entries, dc_.config.syncDurable); !ok) {
            if (ok.error().code == "diverged") return core_.fail(ok.error().message);
            dc_.log->error("could not apply the leader's entries: {}", ok.error().message);
            nextFetch_ = clock_.now() + kFetchRetry;
            return;
        }
        position_.set(replog_->last());
    }
    replog_->setCommit(b.at("commit").get<uint64_t>());
    committedChanged();
    sendFetch();  // also tells the leader we hold these
}

}  // namespace jupiter
