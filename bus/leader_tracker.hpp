// Which command node leads, as its heartbeats say, and the head it claims: the highest epoch among
// command nodes that claimed the lead in a heartbeat younger than `freshFor`. A deposed leader that
// still claims it (resumed after SIGSTOP, before its elector notices) loses to the newer epoch; one
// that is silent is forgotten after `freshFor`. Two claims of one epoch cannot both be true (an
// epoch is the etcd revision that created one leader's key): the first to claim it keeps it.
//
// The head is the leader's word alone: a claim from any other command node moves nothing, and when
// the leader changes the head becomes the new leader's, not the largest ever claimed, so a node
// that claims a head it does not have moves it only while it is believed to lead, never for good.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "bus/heartbeat.hpp"
#include "common/clock.hpp"

namespace jupiter {

class LeaderTracker {
public:
    explicit LeaderTracker(Millis freshFor) : freshFor_(freshFor) {}
    // Every command node's heartbeat (others are ignored). Returns whether it came from the
    // leader, i.e. whether head(), headLeader() and headEpoch() may have moved.
    bool onHeartbeat(const Heartbeat& hb, TimePoint now);
    std::optional<std::string> leader(TimePoint now) const;
    // From the leader's latest heartbeat ("" and 0 before any).
    uint64_t head() const { return head_; }
    const std::string& headLeader() const { return headLeader_; }
    uint64_t headEpoch() const { return headEpoch_; }

private:
    struct Claim {
        uint64_t epoch = 0;
        bool leads = false;
        TimePoint at{};     // its latest heartbeat
        TimePoint since{};  // when it first claimed this epoch's lead
    };
    Millis freshFor_;
    std::map<std::string, Claim> claims_;
    std::string headLeader_;
    uint64_t headEpoch_ = 0;
    uint64_t head_ = 0;
};

}  // namespace jupiter
