// Keeps a query node's read model in step with the command node's event log (the Clone pattern of
// the ZeroMQ guide): events arrive live from the bus; a gap in sequence numbers, a restart, a slow
// join or a head sequence (from the command node's heartbeat) ahead of ours triggers a replay
// request for the missing range, in bounded chunks, until caught up. Up to `window` chunk requests
// are in flight at once (consecutive ranges), so the command node reads the next chunk while this
// replica applies the current one. Each batch of events and the applied sequence change in one
// atomic write; events at or below the applied sequence are ignored.
//
// An event this build cannot apply (a bug, or an event of a newer version during an upgrade) stops
// this replica at that sequence, not the process: what came before it is committed, the replica is
// `stuck()` from then on (it applies, replays and asks for nothing more, and says so in its
// heartbeat), and a restart with a build that can apply the event resumes it. A live item that
// does not validate is a gap (the replay brings the log's own copy); the log's own copy that does
// not validate either is a poisoned event like one that does not apply.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "common/doc.hpp"
#include "common/result.hpp"
#include "store/store.hpp"

namespace jupiter {

// Where and why a replica stopped applying events.
struct Stuck {
    uint64_t seq = 0;     // the event it cannot apply (everything before it is applied)
    std::string reason;
};

class Replicator {
public:
    // `chunk`: events asked for per replay request; `window`: requests in flight at most.
    Replicator(Store& store, const Clock& clock, Millis replayTimeout, uint64_t chunk = 2000, std::size_t window = 1);

    // Applies a live batch ({seq, name, at, body} items); returns the number applied. Items past a
    // gap are dropped (the replay brings them). An Error means the store refused the write.
    Result<std::size_t> onLive(const Doc& events, uint64_t head);
    // Applies a replay reply.
    Result<std::size_t> onReplay(const Doc& events, uint64_t head);
    // Learns the command node's head (from its heartbeat).
    void onHead(uint64_t head);
    // Forgets the requests in flight and any gap (the store was replaced: a snapshot installed).
    void restart();
    // Test hook (refuse_event_seq): refuses to apply the event `seq` as this build would one it
    // cannot apply. 0: none.
    void refuseEvent(uint64_t seq) { refuseSeq_ = seq; }
    // Set once an event could not be applied: nothing is applied or asked for after it.
    const std::optional<Stuck>& stuck() const { return stuck_; }

    // If a replay request should be sent now, the sequence to replay from, for chunk() events (marks
    // it outstanding). Call until it returns nothing: several may be due at once.
    std::optional<uint64_t> replayDue();
    uint64_t chunk() const { return chunk_; }
    std::size_t inFlight() const { return outstanding_.size(); }

    uint64_t applied() const { return store_.seq(); }
    uint64_t head() const { return head_; }
    uint64_t lag() const { return head_ > applied() ? head_ - applied() : 0; }
    uint64_t gapsSeen() const { return gaps_; }

private:
    // Sets *gapped when the batch does not continue what is applied (a gap or a bad item).
    // `fromLog`: the batch is the command node's own copy (a replay), so an item at the next
    // sequence that does not validate is poisoned, not damaged on its way.
    Result<std::size_t> apply(const Doc& events, bool fromLog, bool* gapped = nullptr);
    // Why the item at the next sequence cannot be applied, if it cannot.
    std::optional<std::string> refusal(uint64_t seq, const Doc& item, Txn& txn) const;

    Store& store_;
    const Clock& clock_;
    Millis replayTimeout_;
    uint64_t chunk_;
    std::size_t window_;
    uint64_t head_ = 0;
    std::deque<TimePoint> outstanding_;  // when each request in flight was sent (answered in order)
    uint64_t requestedTo_ = 0;           // the last sequence the requests in flight cover
    bool gap_ = false;                 // a gap was seen: replay at once
    bool replaying_ = false;           // a replay brought events and we are not caught up yet
    std::optional<TimePoint> behindSince_;  // behind the head without a known gap since
    uint64_t gaps_ = 0;
    uint64_t refuseSeq_ = 0;
    std::optional<Stuck> stuck_;
};

// Checks one event item: {seq: uint, name: a known event, at: int, body: valid for that event}.
Status validateEventItem(const Doc& item);

}  // namespace jupiter
