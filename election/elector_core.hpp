// The elector's decisions, one step at a time, apart from its thread and its transports: what
// Elector's thread runs between waits, and what the unit tests run on a ManualClock against an
// in-memory etcd (tests/election/elector_core_test.cpp). Each step reads the time once, acts (renew,
// read the key, fence the others, campaign, step down) and says when the next step is due; every
// change of standing goes to the report sink. The rules it follows, and why they are safe, are in
// elector.hpp and elector_core.cpp.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "election/etcd_api.hpp"
#include "election/etcd_client.hpp"
#include "election/leadership.hpp"

namespace jupiter {

struct ElectorSettings {
    std::vector<std::string> etcdEndpoints;  // client URLs
    EtcdCredentials etcdCredentials;         // a locked etcd: TLS files and the user's password
    std::string key;                         // the leader key, e.g. "jupiter/<cluster>/leader"
    int64_t ttlSeconds = 1;
    Millis keepAliveEvery{200};
    // A standby's look at the key. A leader that dies or stops is suspected by the standbys' loops
    // (a lost connection, an unanswered fetch), which cut the wait short and look every 10 ms; this
    // is for the rest (a leader that stepped down or lost its lease) and the idle cost of etcd.
    Millis poll{250};
    // The same while a watch on the key is open (etcd_watch.hpp): etcd then tells us of every change
    // at once, and the look is there for a watch that fails silently (its member cut off from the
    // others delivers nothing, and no error either).
    Millis watchedPoll{1000};
    Millis requestTimeout{250};  // per etcd HTTP request
    Millis pingTimeout{150};     // asking another command node for its log position
    Millis safety{150};          // trust the lease this much less than etcd granted
    Millis loopSilence{300};     // the node's loop must have stamped its pulse this recently to lead
};

// The node's own log position, written by the loop, read by the elector (both halves at once: a
// torn read could overstate it during a truncation).
class SharedPosition {
public:
    void set(LogPosition p) {
        std::lock_guard lock(mutex_);
        position_ = p;
    }
    LogPosition get() const {
        std::lock_guard lock(mutex_);
        return position_;
    }

private:
    mutable std::mutex mutex_;
    LogPosition position_;
};

// When the node's event loop last ran its heartbeat timer, stamped by the loop and read by the
// elector: liveness comes from the loop that does the work, so a leader whose loop is stuck (a
// disk that stops answering fsync, a pathological batch) stops renewing its lease and revokes it,
// and a wedged node does not campaign.
class LoopPulse {
public:
    void stamp(TimePoint now) { at_.store(now.time_since_epoch().count(), std::memory_order_relaxed); }
    TimePoint last() const { return TimePoint(TimePoint::duration(at_.load(std::memory_order_relaxed))); }

private:
    std::atomic<TimePoint::rep> at_{0};
};

// A report as the loop reads it from the PAIR socket.
struct ElectorReport {
    LeaderRole role = LeaderRole::Unknown;
    std::string leader;
    uint64_t epoch = 0;
    TimePoint validUntil{};  // leader only
    std::string why;         // unknown only
};
// Asks the other command nodes for their log positions with a fence at `revision` (each answer
// fences the ended epochs on that node); `silent` is counted silent without asking. One answer per
// peer, in order; nullopt for no answer.
using FenceRound = std::function<std::vector<std::optional<LogPosition>>(int64_t revision, const std::string& silent)>;
using ReportSink = std::function<void(const ElectorReport&)>;

class ElectorCore {
public:
    ElectorCore(const ElectorSettings& settings, std::string self, EtcdApi& etcd, FenceRound fence,
                const Clock& clock, const SharedPosition& position, const LoopPulse& pulse, ReportSink report);

    // One step. `suspected`: a leader (name, epoch) the loop has judged gone since the last step;
    // `lookSoon`: a candidate fenced us; `watched`: a watch on the key is open (the key changed, or
    // the watch opened, when it cuts a wait short). Returns when the next step is due.
    TimePoint step(const std::optional<std::pair<std::string, uint64_t>>& suspected, bool lookSoon,
                   bool watched = false);
    // On stop: a leader revokes its lease, so that a standby leads at once.
    void resign();
    bool leads() const { return lease_ != 0; }
    uint64_t epoch() const { return epoch_; }

private:
    TimePoint act(TimePoint now, const std::optional<std::pair<std::string, uint64_t>>& suspected);
    TimePoint lead(TimePoint now);
    TimePoint follow(TimePoint now, const std::optional<std::pair<std::string, uint64_t>>& suspected);
    // Whether etcd's leader key is ours: our name, under our lease, created at our epoch.
    bool ownsKey(const std::optional<EtcdValue>& holder) const;
    void stepDown(std::string why);

    const ElectorSettings& s_;
    std::string self_;
    EtcdApi& etcd_;
    FenceRound fence_;
    const Clock& clock_;
    const SharedPosition& position_;
    const LoopPulse& pulse_;
    ReportSink report_;
    const std::string termKey_;
    LeaseWindow window_;
    int64_t lease_ = 0;         // ours while we lead
    uint64_t epoch_ = 0;
    TimePoint hurryUntil_{};    // while a candidate campaigns (lookSoon), the key is read every 10 ms
    std::string justSuspected_; // the leader whose lease we ended on suspicion (asked no more this campaign)
    unsigned polls_ = 0;         // a standby's reads of the key: most are local (see follow)
    bool watched_ = false;       // a watch on the key is open: a standby looks every watchedPoll
    int64_t ownedAt_ = 0;        // the store's revision at which we last found the key ours (leader)
};

}  // namespace jupiter
