// The elector thread; see elector.hpp.
#include "election/elector.hpp"

#include <memory>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "client/client.hpp"
#include "election/etcd_client.hpp"
#include "common/printable.hpp"
#include "common/zmq_util.hpp"

namespace jupiter {
namespace {

// What the thread tells the loop, sent only when it changes (a leader's new lease horizon too).
class Reporter {
public:
    Reporter(zmq::context_t& ctx, const std::string& endpoint) : sock_(ctx, zmq::socket_type::pair) {
        sock_.connect(endpoint);
    }
    void send(const ElectorReport& r) {
        Doc d = encodeReport(r);
        if (d == last_) return;
        if (sendFrames(sock_, {packDoc(d)})) last_ = std::move(d);  // not sent: sent again next time
    }

private:
    zmq::socket_t sock_;
    Doc last_;
};

}  // namespace

bool Elector::ownsKey(const std::optional<EtcdValue>& holder, int64_t lease, uint64_t epoch) const {
    return holder && holder->value == self_ && holder->lease == lease &&
           static_cast<uint64_t>(holder->createRevision) == epoch;
}

Doc encodeReport(const ElectorReport& r) {
    Doc d = {{"role", leaderRoleName(r.role)}, {"leader", r.leader}, {"epoch", r.epoch}};
    if (r.role == LeaderRole::Leader) d["valid_until_ms"] = toMs(r.validUntil.time_since_epoch());
    if (!r.why.empty()) d["why"] = r.why;
    return d;
}

std::optional<ElectorReport> decodeReport(const Doc& d) {
    if (!d.is_object()) return std::nullopt;
    ElectorReport r;
    const std::string role = d.value("role", std::string());
    r.role = role == "leader" ? LeaderRole::Leader : role == "standby" ? LeaderRole::Standby : LeaderRole::Unknown;
    r.leader = d.value("leader", std::string());
    r.epoch = d.value("epoch", uint64_t{0});
    r.validUntil = TimePoint(Millis(d.value("valid_until_ms", int64_t{0})));
    r.why = d.value("why", std::string());
    return r;
}

Elector::Elector(zmq::context_t& ctx, std::string reportEndpoint, ElectorSettings settings, std::string self,
                 std::vector<ElectorPeer> peers, Credentials credentials, const Clock& clock,
                 const SharedPosition& position, const LoopPulse& pulse)
    : ctx_(ctx),
      reportEndpoint_(std::move(reportEndpoint)),
      s_(std::move(settings)),
      self_(std::move(self)),
      peers_(std::move(peers)),
      credentials_(std::move(credentials)),
      clock_(clock),
      position_(position),
      pulse_(pulse) {}

Elector::~Elector() { stop(); }

void Elector::start() { thread_ = std::thread([this] { run(); }); }

void Elector::stop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void Elector::suspect(const std::string& leader, uint64_t epoch) {
    {
        std::lock_guard lock(mutex_);
        suspected_ = {leader, epoch};
    }
    wake_.notify_all();
}

void Elector::lookSoon() {
    {
        std::lock_guard lock(mutex_);
        lookSoon_ = true;
    }
    wake_.notify_all();
}

void Elector::run() {
    Reporter report(ctx_, reportEndpoint_);
    EtcdClient etcd(s_.etcdEndpoints, s_.requestTimeout, s_.etcdCredentials);
    std::vector<std::unique_ptr<Client>> peers;
    for (const auto& p : peers_) peers.push_back(std::make_unique<Client>(ctx_, credentials_, p.endpoint));

    LeaseWindow window(s_.safety);
    int64_t lease = 0;          // ours while we lead
    uint64_t epoch = 0;
    std::string lastLeader;     // the holder we last saw (the old leader when the key lapses)
    TimePoint nextAction = clock_.now();

    // Waits on the steady clock (the elector runs on the real clock: its waits are etcd's pace).
    auto sleepUntil = [&](TimePoint t) {
        const auto left = t - clock_.now();
        if (left <= TimePoint::duration::zero()) return;
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, left, [this] { return stop_.load() || suspected_.has_value() || lookSoon_; });
    };
    auto takeSuspicion = [&] {
        std::lock_guard lock(mutex_);
        return std::exchange(suspected_, std::nullopt);
    };
    TimePoint hurryUntil{};  // while a candidate campaigns (lookSoon), the key is read every 10 ms
    auto takeLookSoon = [&] {
        std::lock_guard lock(mutex_);
        return std::exchange(lookSoon_, false);
    };
    // Each answer fences the epochs up to `revision` on that node (CommandNode::serveFence), so that
    // it stays true until we have campaigned. `silent`: a node we have just judged gone, counted as
    // silent without waiting `pingTimeout` for it (safe: mayCampaign counts silence as doubt).
    auto askPeers = [&](int64_t revision, const std::string& silent) {
        std::vector<std::optional<LogPosition>> answers;
        for (std::size_t i = 0; i < peers.size(); ++i) {
            if (peers_[i].name == silent) {
                answers.push_back(std::nullopt);
                continue;
            }
            auto r = peers[i]->call(
                makeRequest(Kind::Control, "fence", {{"revision", static_cast<uint64_t>(revision)}, {"node", self_}}),
                s_.pingTimeout, 1);
            const bool ok = r && r->kind == Kind::Reply && r->body.contains("log_index") &&
                            r->body["log_index"].is_number_unsigned() && r->body.contains("log_epoch") &&
                            r->body["log_epoch"].is_number_unsigned();
            if (ok)
                answers.push_back(LogPosition{r->body["log_epoch"].get<uint64_t>(),
                                              r->body["log_index"].get<uint64_t>()});
            else
                answers.push_back(std::nullopt);
        }
        return answers;
    };
    const std::string termKey = s_.key + "-term";
    std::string justSuspected;  // the leader whose lease we ended on suspicion (asked no more this campaign)

    while (!stop_) {
        sleepUntil(nextAction);
        if (stop_) break;
        try {
            const TimePoint now = clock_.now();
            // Taken whatever we do now, so that a wait is never cut short by one we do not act on
            // (a leader's, or one for a leader etcd no longer names).
            const auto suspected = takeSuspicion();
            if (takeLookSoon()) hurryUntil = now + Millis(300);
            const Millis silent = std::chrono::duration_cast<Millis>(now - pulse_.last());
            if (silent > s_.loopSilence) {
                // Our loop is stuck: whatever it holds, it acknowledges nothing, so it must not keep
                // the lead (nor take it). The loop reads this when it runs again, and follows.
                // The lease goes first: the loop cannot act on the report before it runs again.
                if (lease != 0) (void)etcd.revoke(lease);
                report.send({LeaderRole::Unknown, "", epoch, {},
                             fmt::format("our event loop has not run for {} ms (stuck: a disk, a long batch?); {}",
                                         silent.count(), lease != 0 ? "stepping down so that a standby leads"
                                                                    : "not taking the lead")});
                lease = 0;
                window.clear();
                nextAction = now + s_.poll;
                continue;
            }
            if (lease != 0) {
                // Leading: renew.
                nextAction = now + s_.keepAliveEvery;
                auto ttl = etcd.keepAlive(lease);
                if (ttl && *ttl > 0) {
                    // A live lease is not enough: the key must still be ours, under that lease and
                    // epoch. One deleted or overwritten in etcd (by an operator, or anyone etcd lets
                    // write) ends our leadership now, not when some lease runs out.
                    auto holder = etcd.get(s_.key);
                    if (!holder) {
                        nextAction = now + Millis(20);  // unconfirmed: the window runs down meanwhile
                        continue;
                    }
                    if (!ownsKey(*holder, lease, epoch)) {
                        report.send({LeaderRole::Unknown, "", epoch, {},
                                     fmt::format("our leader key {} in etcd is gone or no longer ours (it names {}); "
                                                 "stepping down",
                                                 s_.key, *holder ? printable((*holder)->value) : "nobody")});
                        (void)etcd.revoke(lease);
                        lease = 0;
                        window.clear();
                        nextAction = clock_.now();
                        continue;
                    }
                    window.confirmed(now, Millis(*ttl * 1000));
                    report.send({LeaderRole::Leader, self_, epoch, *window.validUntil(), ""});
                    continue;
                }
                if (ttl || !window.valid(clock_.now())) {
                    report.send({LeaderRole::Unknown, "", epoch, {},
                                 ttl ? "our lease expired in etcd (we were paused or cut off too long)"
                                     : fmt::format("could not renew our lease in time: {}", ttl.error().message)});
                    (void)etcd.revoke(lease);  // best effort: if etcd still has it, the key goes now
                    lease = 0;
                    window.clear();
                    nextAction = clock_.now();
                } else {
                    nextAction = now + Millis(20);  // retry soon, another member may answer
                }
                continue;
            }
            // Standby: who holds the key?
            nextAction = now + (now < hurryUntil ? Millis(10) : s_.poll);
            // Whoever ends the lease (we or another standby), the suspect is not waited for.
            if (suspected) justSuspected = suspected->first;
            auto holder = etcd.get(s_.key);
            if (!holder) {
                report.send({LeaderRole::Unknown, "", 0, {}, holder.error().message});
                continue;
            }
            if (*holder && (*holder)->value == self_) {
                // Our own name under a lease that is not ours: a previous run of this node (killed, then
                // restarted within the TTL). Only one process runs as this node (its pidfile lock), so
                // that lease is dead: revoke it instead of waiting for it to lapse.
                (void)etcd.revoke((*holder)->lease);
                nextAction = clock_.now();
                continue;
            }
            if (*holder && suspected && suspected->first == (*holder)->value &&
                suspected->second == static_cast<uint64_t>((*holder)->createRevision)) {
                // Our loop lost its connection to this leader (its process is gone), or the leader
                // left our fetch unanswered past its hold and a heartbeat's liveness (stopped, or its
                // host is). End its lease now rather than when it lapses (1-1.5 s). Safety never
                // rested on the lease being long but on fencing (as in Patroni, and Kafka's leader
                // epochs, KIP-101/279), and ending a lease early is safe because:
                //  - the old leader acknowledges only within the lease window it has confirmed with
                //    etcd, and its next renewal (200 ms) finds the lease gone, so it steps down;
                //  - before campaigning we ask the others for their logs with a fence: from its
                //    answer on, a node acknowledges nothing of the epochs that ended (as a standby it
                //    stops fetching them, as their leader it stops committing), for longer than any
                //    such leader's window can last, so the answers we count on stay true (Raft's vote:
                //    a voter rejects older terms once it has voted);
                //  - the campaign is conditioned on the term key, so it fails if anyone took the lead
                //    after our read, even if they lost it again (etcd_client.hpp, EtcdTermGuard);
                //  - every entry carries its epoch, and a standby that follows a newer epoch takes
                //    back what the old leader wrote alone: written there, never acknowledged.
                // Who takes over is decided as always (mayCampaign). A false suspicion - the
                // connection dropped or the leader was slow, and it lives - costs one leader change:
                // its unacknowledged commands are resent by their senders to the new leader, no
                // acknowledged write is lost or doubled.
                (void)etcd.revoke((*holder)->lease);
                nextAction = clock_.now();
                continue;
            }
            if (*holder) {
                justSuspected.clear();
                lastLeader = (*holder)->value;
                report.send({LeaderRole::Standby, lastLeader, static_cast<uint64_t>((*holder)->createRevision), {}, ""});
                continue;
            }
            // Nobody leads. Read the election again with the term key: every epoch up to the
            // revision of this read is over, and the campaign below fails if anyone takes the lead
            // after it. Take it if our log is as complete as it must be.
            auto seen = etcd.readElection(s_.key, termKey);
            if (!seen) {
                report.send({LeaderRole::Unknown, "", 0, {}, seen.error().message});
                continue;
            }
            if (seen->holder) {
                nextAction = clock_.now();
                continue;
            }
            const LogPosition mine = position_.get();
            const auto answers = askPeers(seen->revision, std::exchange(justSuspected, std::string()));
            if (!mayCampaign(mine, answers)) {
                report.send({LeaderRole::Unknown, "", 0, {},
                             fmt::format("no leader; another command node is further ahead than our {}:{} or too many "
                                         "are silent, so it must take over", mine.epoch, mine.index)});
                continue;
            }
            const TimePoint asked = clock_.now();
            auto granted = etcd.grantLease(s_.ttlSeconds);
            if (!granted) continue;
            auto claim = etcd.createIfAbsent(s_.key, self_, granted->id, EtcdTermGuard{termKey, seen->termRevision});
            if (!claim) {
                (void)etcd.revoke(granted->id);
                continue;
            }
            if (!claim->created) {
                (void)etcd.revoke(granted->id);
                if (!claim->current.value.empty())
                    report.send({LeaderRole::Standby, claim->current.value,
                                 static_cast<uint64_t>(claim->current.createRevision), {}, ""});
                continue;
            }
            lease = granted->id;
            epoch = static_cast<uint64_t>(claim->current.createRevision);
            window.clear();
            window.confirmed(asked, Millis(granted->ttlSeconds * 1000));
            report.send({LeaderRole::Leader, self_, epoch, *window.validUntil(), ""});
            nextAction = clock_.now() + s_.keepAliveEvery;
        } catch (const std::exception& e) {
            // An answer of an unexpected shape (etcd, a peer): as if none came; the lease rules still hold.
            report.send({LeaderRole::Unknown, "", 0, {}, fmt::format("elector: {}", e.what())});
            if (lease != 0 && !window.valid(clock_.now())) lease = 0;
            nextAction = clock_.now() + s_.poll;
        }
    }
    if (lease != 0) (void)etcd.revoke(lease);
}

}  // namespace jupiter
