// Routes queries to a live query replica and masks its failure from the client: a query whose
// replica dies (lost connection), stops answering (per-attempt timeout) or is behind the sequence
// the query needs goes to the next live replica, as in the ZeroMQ guide's Lazy Pirate, except
// that the retry happens here and the client never sees the failure. Sockets are abstracted as
// callbacks so the logic is unit-tested with a ManualClock.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "bus/liveness.hpp"
#include "gateway/replica_selector.hpp"
#include "gateway/pending.hpp"
#include "schemas/envelope.hpp"

namespace jupiter {

class QueryRouter {
public:
    struct Settings {
        Millis attemptTimeout{250};     // per try, before the query goes elsewhere
        Millis waitTimeout{1200};       // per try, for queries that wait for a sequence (min_seq)
        Millis totalTimeout{10000};     // overall, before the client gets an error
        Millis noReplicaGrace{500};     // how long a query waits for any replica to come back
        // Once answers have been seen for a query name, its per-attempt timeout follows their
        // latency (smoothed mean + 4 deviations, as TCP's retransmission timer) between these two
        // bounds instead of always waiting attemptTimeout.
        Millis minAttemptTimeout{50};
        // A replica that let an attempt time out gets no new queries for this long (or until it
        // answers anything), unless no other replica can take them.
        Millis suspectFor{1000};
        // routing = "spread": ordinary queries go to whichever caught-up replica has the fewest
        // outstanding; otherwise they follow the route (the first caught-up replica).
        bool spread = false;
    };
    // Sends `bytes` to `replica` tagged with `token`; false when the replica is unreachable.
    using SendFn = std::function<bool(const std::string& replica, uint64_t token, const std::string& bytes)>;
    // Sends `bytes` back to the client at `route`.
    using ReplyFn = std::function<void(const Frames& route, const std::string& bytes)>;

    QueryRouter(const Clock& clock, Liveness& live, ReplicaSelector& selector, Settings s, SendFn send, ReplyFn reply);
    void setObserver(RouterObserver o) { observer_ = std::move(o); }

    void submit(Frames route, const EnvelopePeek& query, std::string bytes);
    // A reply arrived from `replica` for `token`.
    void onReply(const std::string& replica, uint64_t token, const std::string& bytes, const EnvelopePeek& reply);
    // The replica is gone (connection lost or marked down): move its queries elsewhere now.
    void onReplicaLost(const std::string& replica);
    // Handles per-attempt and overall deadlines; call often (every few ms).
    void tick();

    // Learns the head from the leader's heartbeat (LeaderTracker: it only grows while one leader
    // leads, and becomes the next leader's when that changes). Replicas are judged against the head
    // of the heartbeat before (what the leader had one interval ago): heartbeats are sampled at
    // different instants, so comparing with the newest head would call every replica "behind" for a
    // moment after each write and make the route flap.
    void setHead(uint64_t head) {
        settledHead_ = latestHead_;
        latestHead_ = head;
    }
    uint64_t head() const { return settledHead_; }
    uint64_t latestHead() const { return latestHead_; }
    std::size_t inFlight() const { return table_.size(); }
    // The per-attempt timeout a query `name` gets now (not for min_seq queries).
    Millis attemptTimeoutFor(const std::string& name) const;
    bool suspect(const std::string& replica) const;
    uint64_t retries() const { return retries_; }
    // Attempts sent to `replica` and not yet answered, timed out or moved.
    int outstanding(const std::string& replica) const;

private:
    void answer(const PendingRequest& p, const std::string& bytes);
    struct Latency {
        double srttUs = 0;
        double rttvarUs = 0;
    };
    void dispatch(PendingRequest& p);
    std::optional<std::string> pick(const PendingRequest& p, uint64_t need) const;
    void learnLatency(const std::string& name, Micros sample);
    void fail(PendingRequest& p, const std::string& code, const std::string& message);
    // Moves the request's current attempt to `replica` ("" = none), keeping outstanding_ exact.
    void setTarget(PendingRequest& p, const std::string& replica);
    // Erases the requests answered in this pass.
    void finish();
    std::string unavailableMessage() const;

    const Clock& clock_;
    Liveness& live_;
    ReplicaSelector& selector_;
    Settings s_;
    SendFn send_;
    ReplyFn reply_;
    PendingTable table_;
    uint64_t settledHead_ = 0;
    uint64_t latestHead_ = 0;
    uint64_t retries_ = 0;
    RouterObserver observer_;
    uint64_t ticks_ = 0;
    std::vector<uint64_t> done_;
    std::map<std::string, Latency> latency_;     // by query name (bounded: names come from clients)
    std::map<std::string, TimePoint> suspects_;  // replica -> avoided until
    std::map<std::string, int> outstanding_;     // replica -> attempts in flight (configured replicas only)
};

}  // namespace jupiter
