// Which command node leads, as its heartbeats say, and the head it claims: the highest epoch among
// command nodes that claimed the lead in a heartbeat younger than `freshFor`. A deposed leader that
// still claims it (resumed after SIGSTOP, before its elector notices) loses to the newer epoch; one
// that is silent is forgotten after `freshFor`. Two claims of one epoch cannot both be true (an
// epoch is the etcd revision that created one leader's key): the first to claim it keeps it.
//
// With several command nodes a claim must also be seconded: it is believed only while another
// command node's fresh heartbeat names the claimant as the leader of that epoch. Standbys name the
// leader etcd names (the elector reads its key), so one node's word - a stolen command node's key
// claiming a higher epoch - leads nobody: not the brokers' commands, not the replicas' trust in
// signed batches, not the gateways' head. It costs nothing a write needs: the leader acknowledges
// nothing until a standby follows it, and a standby that follows says so in its next heartbeat
// (sent at once when its leader changes).
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
    // `seconded`: several command nodes (Config::replicated), a claim needs another node's word.
    explicit LeaderTracker(Millis freshFor, bool seconded = false) : freshFor_(freshFor), seconded_(seconded) {}
    // Every command node's heartbeat (others are ignored). Returns whether head(), headLeader()
    // and headEpoch() may have moved: it came from the leader, or it made another node the leader.
    bool onHeartbeat(const Heartbeat& hb, TimePoint now);
    std::optional<std::string> leader(TimePoint now) const;
    // The freshest claim of the lead that no other node seconds (for messages saying why no one leads).
    struct Unseconded {
        std::string node;
        uint64_t epoch = 0;
    };
    std::optional<Unseconded> unseconded(TimePoint now) const;
    // From the leader's latest heartbeat ("" and 0 before any).
    uint64_t head() const { return head_; }
    const std::string& headLeader() const { return headLeader_; }
    uint64_t headEpoch() const { return headEpoch_; }

private:
    struct Claim {
        uint64_t epoch = 0;
        bool leads = false;
        std::string names;  // the leader it names (a standby's: etcd's word)
        uint64_t seq = 0;   // the head in its latest claim of the lead
        TimePoint at{};     // its latest heartbeat
        TimePoint since{};  // when it first claimed this epoch's lead
    };
    bool secondedBy(const std::string& node, const Claim& c, TimePoint now) const;

    Millis freshFor_;
    bool seconded_;
    std::map<std::string, Claim> claims_;
    std::string headLeader_;
    uint64_t headEpoch_ = 0;
    uint64_t head_ = 0;
};

}  // namespace jupiter
