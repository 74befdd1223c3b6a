// The cluster's head as its leader says it: the sequence number in the latest heartbeat of the
// command node that leads (LeaderTracker's choice: the highest epoch claimed in a fresh heartbeat).
// A claim from any other command node moves nothing, and when the leader changes the head becomes
// the new leader's, not the largest ever claimed: a node that claims a head it does not have moves
// it only while it is believed to lead, never for good.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "bus/leader_tracker.hpp"

namespace jupiter {

class LeaderHead {
public:
    explicit LeaderHead(Millis freshFor) : tracker_(freshFor) {}
    // Every command node's heartbeat (others are ignored). Returns whether it came from the
    // leader, i.e. whether the head may have moved.
    bool onHeartbeat(const Heartbeat& hb, TimePoint now);
    uint64_t head() const { return head_; }
    const std::string& leader() const { return leader_; }  // of the head; "" before any
    uint64_t epoch() const { return epoch_; }

private:
    LeaderTracker tracker_;
    std::string leader_;
    uint64_t epoch_ = 0;
    uint64_t head_ = 0;
};

}  // namespace jupiter
