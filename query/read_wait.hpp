// Queries that wait at a replica for a sequence it has not applied (read-your-writes: min_seq),
// and how each wait ends. A client's min_seq decides only how long its own query waits, never what
// the replica replays, installs or believes the head to be. A min_seq past every head the replica
// has heard of is put to the leader: a probe (a ping, answered with its committed sequence) sent
// after the query arrived covers the write the client saw acknowledged, so a min_seq beyond the
// probe's answer was never committed: answered ahead_of_head at once. Otherwise a query waits up to
// `maxWait`, answered when the sequence is applied, else `behind` (the gateway asks another replica).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "common/zmq_util.hpp"
#include "schemas/envelope.hpp"

namespace jupiter {

class ReadWait {
public:
    struct Waiting {
        Frames route;
        Envelope query;  // its minSeq is set
        TimePoint arrived;
        TimePoint deadline;
        bool beyondHead = false;  // past every head known when it arrived, and no probe has judged it since
    };
    // A query whose wait ended in an error.
    struct Refused {
        Waiting waiting;
        Error error;
    };

    // `probeInterval`: at most one probe per interval while no answer comes (the leader may be gone).
    ReadWait(const Clock& clock, Millis maxWait, std::size_t maxWaiting, Millis probeInterval);

    // Adds a query; false when `maxWaiting` already wait (the caller answers `behind` at once).
    // (`route` and `query` are taken only when it is added.)
    bool add(Frames&& route, Envelope&& query, uint64_t knownHead);
    // The id of a head probe to send to the leader now, if one is due.
    std::optional<std::string> probeDue(const std::string& node);
    // The leader `leader` answered probe `id` with its committed `head`: the queries it proves
    // ahead of the head (answered ahead_of_head). An unknown or stale id decides nothing.
    std::vector<Refused> onProbeAnswer(std::string_view id, uint64_t head, const std::string& leader);
    // The queries whose sequence is now applied (to be answered).
    std::vector<Waiting> ready(uint64_t applied);
    // The queries whose wait is over (answered `behind`); also notes a head heard meanwhile.
    std::vector<Refused> expired(uint64_t applied, uint64_t knownHead, const std::string& node);

    std::size_t size() const { return waiting_.size(); }
    bool empty() const { return waiting_.empty(); }

private:
    bool anyBeyond() const;

    const Clock& clock_;
    Millis maxWait_;
    std::size_t maxWaiting_;
    Millis probeInterval_;
    std::deque<Waiting> waiting_;
    uint64_t probes_ = 0;
    std::optional<TimePoint> lastProbe_;    // the last probe not yet answered
    std::map<uint64_t, TimePoint> sent_;    // probes in flight: number -> when sent
};

}  // namespace jupiter
