// The elector's steps; see elector_core.hpp (and elector.hpp for the whole).
#include "election/elector_core.hpp"

#include <fmt/format.h>

#include "common/printable.hpp"

namespace jupiter {

ElectorCore::ElectorCore(const ElectorSettings& settings, std::string self, EtcdApi& etcd, FenceRound fence,
                         const Clock& clock, const SharedPosition& position, const LoopPulse& pulse, ReportSink report)
    : s_(settings),
      self_(std::move(self)),
      etcd_(etcd),
      fence_(std::move(fence)),
      clock_(clock),
      position_(position),
      pulse_(pulse),
      report_(std::move(report)),
      termKey_(settings.key + "-term"),
      window_(settings.safety) {}

bool ElectorCore::ownsKey(const std::optional<EtcdValue>& holder) const {
    return holder && holder->value == self_ && holder->lease == lease_ &&
           static_cast<uint64_t>(holder->createRevision) == epoch_;
}

void ElectorCore::stepDown(std::string why) {
    report_({LeaderRole::Unknown, "", epoch_, {}, std::move(why)});
    (void)etcd_.revoke(lease_);  // best effort: if etcd still has it, the key goes now
    lease_ = 0;
    window_.clear();
}

void ElectorCore::resign() {
    if (lease_ != 0) (void)etcd_.revoke(lease_);
    lease_ = 0;
    window_.clear();
}

TimePoint ElectorCore::step(const std::optional<std::pair<std::string, uint64_t>>& suspected, bool lookSoon,
                            bool watched) {
    const TimePoint now = clock_.now();
    watched_ = watched;
    if (lookSoon) hurryUntil_ = now + Millis(300);
    try {
        return act(now, suspected);
    } catch (const std::exception& e) {
        // An answer of an unexpected shape (etcd, a peer): as if none came; the lease rules still hold.
        report_({LeaderRole::Unknown, "", 0, {}, fmt::format("elector: {}", e.what())});
        if (lease_ != 0 && !window_.valid(clock_.now())) lease_ = 0;
        return clock_.now() + s_.poll;
    }
}

TimePoint ElectorCore::act(TimePoint now, const std::optional<std::pair<std::string, uint64_t>>& suspected) {
    const Millis silent = std::chrono::duration_cast<Millis>(now - pulse_.last());
    if (silent > s_.loopSilence) {
        // Our loop is stuck: whatever it holds, it acknowledges nothing, so it must not keep
        // the lead (nor take it). The loop reads this when it runs again, and follows.
        // The lease goes first: the loop cannot act on the report before it runs again.
        if (lease_ != 0) (void)etcd_.revoke(lease_);
        report_({LeaderRole::Unknown, "", epoch_, {},
                 fmt::format("our event loop has not run for {} ms (stuck: a disk, a long batch?); {}", silent.count(),
                             lease_ != 0 ? "stepping down so that a standby leads" : "not taking the lead")});
        lease_ = 0;
        window_.clear();
        return now + s_.poll;
    }
    if (lease_ != 0) return lead(now);
    return follow(now, suspected);
}

TimePoint ElectorCore::lead(TimePoint now) {
    auto renewed = etcd_.keepAlive(lease_);
    if (renewed && renewed->ttlSeconds > 0) {
        // A live lease is not enough: the key must still be ours, under that lease and epoch. One
        // deleted or overwritten in etcd (by an operator, or anyone etcd lets write) ends our
        // leadership now, not when some lease runs out. It is read back only when etcd has been
        // written since we last found it ours: every write moves the store's revision, which the
        // renewal's answer carries, so an idle etcd is asked once per renewal, not twice. (A member
        // a moment behind may answer an old revision; the next renewal reads the key. Safety does
        // not rest on this check but on the fence, see follow.)
        if (renewed->revision == 0 || renewed->revision != ownedAt_) {
            auto holder = etcd_.get(s_.key);
            if (!holder) return now + Millis(20);  // unconfirmed: the window runs down meanwhile
            if (!ownsKey(*holder)) {
                stepDown(fmt::format("our leader key {} in etcd is gone or no longer ours (it names {}); stepping down",
                                     s_.key, *holder ? printable((*holder)->value) : "nobody"));
                return clock_.now();
            }
            ownedAt_ = renewed->revision;  // at most the read's: a write in between only costs a read
        }
        window_.confirmed(now, Millis(renewed->ttlSeconds * 1000));
        report_({LeaderRole::Leader, self_, epoch_, *window_.validUntil(), ""});
        return now + s_.keepAliveEvery;
    }
    if (renewed || !window_.valid(clock_.now())) {
        stepDown(renewed ? "our lease expired in etcd (we were paused or cut off too long)"
                         : fmt::format("could not renew our lease in time: {}", renewed.error().message));
        return clock_.now();
    }
    return now + Millis(20);  // retry soon, another member may answer
}

TimePoint ElectorCore::follow(TimePoint now, const std::optional<std::pair<std::string, uint64_t>>& suspected) {
    // Standby: who holds the key?
    const TimePoint next = now + (now < hurryUntil_ ? Millis(10) : watched_ ? s_.watchedPoll : s_.poll);
    // Whoever ends the lease (we or another standby), the suspect is not waited for.
    if (suspected) justSuspected_ = suspected->first;
    // Mostly a local read (no quorum round: an idle cluster's etcd is mostly these polls). What it
    // says is acted on only through a revoke of a lease it names, or a campaign that reads the
    // election again and is conditioned on it. Every kLinearEvery-th read, and every read while we
    // hurry, asks the quorum: a member cut off from the others, which would go on answering from
    // what it had, fails that read, and the client moves to another member.
    constexpr unsigned kLinearEvery = 2;
    const bool quorum = now < hurryUntil_ || suspected || ++polls_ % kLinearEvery == 0;
    auto holder = quorum ? etcd_.get(s_.key) : etcd_.getLocal(s_.key);
    if (!holder) {
        report_({LeaderRole::Unknown, "", 0, {}, holder.error().message});
        return next;
    }
    if (*holder && (*holder)->value == self_) {
        // Our own name under a lease that is not ours: a previous run of this node (killed, then
        // restarted within the TTL). Only one process runs as this node (its pidfile lock), so
        // that lease is dead: revoke it instead of waiting for it to lapse.
        (void)etcd_.revoke((*holder)->lease);
        return clock_.now();
    }
    if (*holder && suspected && suspected->first == (*holder)->value &&
        suspected->second == static_cast<uint64_t>((*holder)->createRevision)) {
        // Our loop lost its connection to this leader (its process is gone), or the leader
        // left our fetch unanswered past its hold and a heartbeat's liveness (stopped, or its
        // host is). End its lease now rather than when it lapses (its TTL, 2 s). Safety never
        // rested on the lease being long but on fencing (as in Patroni, and Kafka's leader
        // epochs, KIP-101/279), and ending a lease early is safe because:
        //  - the old leader acknowledges only within the lease window it has confirmed with
        //    etcd, and its next renewal (a fifth of the TTL) finds the lease gone, so it steps down;
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
        (void)etcd_.revoke((*holder)->lease);
        return clock_.now();
    }
    if (*holder) {
        justSuspected_.clear();
        report_({LeaderRole::Standby, (*holder)->value, static_cast<uint64_t>((*holder)->createRevision), {}, ""});
        return next;
    }
    // Nobody leads. Read the election again with the term key: every epoch up to the revision of
    // this read is over, and the campaign below fails if anyone takes the lead after it. Take it
    // if our log is as complete as it must be.
    auto seen = etcd_.readElection(s_.key, termKey_);
    if (!seen) {
        report_({LeaderRole::Unknown, "", 0, {}, seen.error().message});
        return next;
    }
    if (seen->holder) return clock_.now();
    const LogPosition mine = position_.get();
    const auto answers = fence_(seen->revision, std::exchange(justSuspected_, std::string()));
    if (!mayCampaign(mine, answers)) {
        report_({LeaderRole::Unknown, "", 0, {},
                 fmt::format("no leader; another command node is further ahead than our {}:{} or too many are "
                             "silent, so it must take over",
                             mine.epoch, mine.index)});
        return next;
    }
    const TimePoint asked = clock_.now();
    auto granted = etcd_.grantLease(s_.ttlSeconds);
    if (!granted) return next;
    auto claim = etcd_.createIfAbsent(s_.key, self_, granted->id, EtcdTermGuard{termKey_, seen->termRevision});
    if (!claim) {
        (void)etcd_.revoke(granted->id);
        return next;
    }
    if (!claim->created) {
        (void)etcd_.revoke(granted->id);
        if (!claim->current.value.empty())
            report_({LeaderRole::Standby, claim->current.value, static_cast<uint64_t>(claim->current.createRevision), {},
                     ""});
        return next;
    }
    lease_ = granted->id;
    epoch_ = static_cast<uint64_t>(claim->current.createRevision);
    ownedAt_ = claim->current.createRevision;  // our write: the key was ours at that revision
    window_.clear();
    window_.confirmed(asked, Millis(granted->ttlSeconds * 1000));
    report_({LeaderRole::Leader, self_, epoch_, *window_.validUntil(), ""});
    return clock_.now() + s_.keepAliveEvery;
}

}  // namespace jupiter
