// Who leads the command nodes, as one command node knows it, and the rules that keep two of them
// from both acknowledging writes. Pure logic on an injected clock (unit-tested with ManualClock);
// the elector thread feeds it what etcd says, the node's loop asks it before acknowledging.
//
// The pattern followed is etcd's documented election recipe (a key created only if absent, held by
// a lease the leader keeps alive: https://etcd.io/docs/v3.4/dev-guide/interacting_v3/ and
// concurrency/election.go) as Patroni uses it for PostgreSQL (leader key with a TTL, standbys that
// take it when it lapses, a leader that demotes itself when it cannot renew in time). The epoch is
// the key's create_revision: etcd gives every creation a new, larger one, so epochs never repeat.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"

namespace jupiter {

// A position in the replication log: the last entry's index and the epoch it was written in.
// Ordered as Raft orders logs (epoch first), which is how "at least as up to date" is decided.
struct LogPosition {
    uint64_t epoch = 0;
    uint64_t index = 0;
    auto operator<=>(const LogPosition&) const = default;
};

enum class LeaderRole { Unknown, Standby, Leader };
std::string_view leaderRoleName(LeaderRole r);  // "unknown", "standby", "leader"

// The lease as the leader may count on it: a keepalive sent at `sentAt` that etcd answered with
// `ttl` proves the lease lives until at least sentAt + ttl by etcd's clock; we stop trusting it
// `safety` earlier, for clock-rate differences and the time etcd takes to notice.
class LeaseWindow {
public:
    explicit LeaseWindow(Millis safety) : safety_(safety) {}
    void confirmed(TimePoint sentAt, Millis ttl) {
        const TimePoint until = sentAt + ttl - safety_;
        if (!validUntil_ || until > *validUntil_) validUntil_ = until;
    }
    void clear() { validUntil_.reset(); }
    bool valid(TimePoint now) const { return validUntil_ && now < *validUntil_; }
    std::optional<TimePoint> validUntil() const { return validUntil_; }

private:
    Millis safety_;
    std::optional<TimePoint> validUntil_;
};

// What the command node's loop knows about leadership (fed by the elector's reports).
class Leadership {
public:
    explicit Leadership(std::string self) : self_(std::move(self)) {}

    // A single command node (no etcd): leader for ever, epoch 0.
    void alone() {
        role_ = LeaderRole::Leader;
        alone_ = true;
        leader_ = self_;
    }
    // We hold the key at `epoch`, certainly until `validUntil`.
    void lead(uint64_t epoch, TimePoint validUntil) {
        role_ = LeaderRole::Leader;
        epoch_ = epoch;
        leader_ = self_;
        validUntil_ = validUntil;
    }
    void follow(const std::string& leader, uint64_t epoch) {
        role_ = LeaderRole::Standby;
        leader_ = leader;
        epoch_ = epoch;
        validUntil_.reset();
    }
    void unknown() {
        role_ = LeaderRole::Unknown;
        leader_.clear();
        validUntil_.reset();
    }

    // A candidate asked for our log position after it saw the leader key absent at etcd revision
    // `revision`: every epoch up to it is over. Until `until`, we acknowledge nothing of such an
    // epoch, as leader or as standby, so that the position we answered stays an upper bound of what
    // any of those leaders and we can have acknowledged (see mayCampaign). `until` lies past every
    // such leader's lease window, so a stale fence expires harmlessly.
    void fence(uint64_t revision, TimePoint until) {
        if (fenceUntil_ && revision <= fenceRevision_ && until <= *fenceUntil_) return;
        fenceRevision_ = std::max(fenceRevision_, revision);
        fenceUntil_ = fenceUntil_ ? std::max(*fenceUntil_, until) : until;
    }
    // Whether writes of `epoch` must not be acknowledged now (by its leader, or by us as its standby).
    bool fenced(uint64_t epoch, TimePoint now) const {
        return fenceUntil_ && now < *fenceUntil_ && epoch <= fenceRevision_;
    }

    // Whether we may acknowledge a write now: we lead, our lease is certainly still alive, and no
    // candidate has fenced our epoch.
    bool canAcknowledge(TimePoint now) const {
        if (role_ != LeaderRole::Leader) return false;
        if (alone_) return true;
        return validUntil_ && now < *validUntil_ && !fenced(epoch_, now);
    }
    bool leading() const { return role_ == LeaderRole::Leader; }
    LeaderRole role() const { return role_; }
    uint64_t epoch() const { return epoch_; }
    const std::string& leader() const { return leader_; }  // empty when unknown
    const std::string& self() const { return self_; }

private:
    std::string self_;
    LeaderRole role_ = LeaderRole::Unknown;
    bool alone_ = false;
    uint64_t epoch_ = 0;
    std::string leader_;
    std::optional<TimePoint> validUntil_;
    uint64_t fenceRevision_ = 0;
    std::optional<TimePoint> fenceUntil_;
};

// Whether a command node at `self` may try to take the lapsed leadership, given what the other
// command nodes answered (nullopt: no answer). A write is acknowledged once it is on the leader and
// on one standby, so the taker must hold everything any {old leader, standby} pair holds: for each
// pair, one member must be us, or have answered with a log no further than ours. Whoever the old
// leader was, that holds exactly when at most one other node is silent or ahead of us. (A node that
// is behind therefore waits - and catches up from the new leader - instead of taking over.)
// An answer stays true after it is given because answering fences the old epochs (fence() above):
// the node acknowledges nothing more of them, as a Raft voter rejects an older term once it has
// voted; and the campaign itself fails if anyone took the lead after the candidate's read (the
// term key, etcd_client.hpp), so no newer leader can have acknowledged anything either.
bool mayCampaign(LogPosition self, const std::vector<std::optional<LogPosition>>& others);

}  // namespace jupiter
