// Who is alive, judged from heartbeats (and from hard evidence such as a lost connection or a
// failed ping). A node is DOWN after missing `missLimit` of its own heartbeat intervals, and UP
// again only after `recoveryBeats` fresh heartbeats in a row (hysteresis, so a flapping node does
// not make its users flap). All time comes from the injected Clock.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bus/heartbeat.hpp"
#include "common/clock.hpp"

namespace jupiter {

enum class NodeState { Unknown, Up, Down };
std::string_view stateName(NodeState s);

struct LivenessChange {
    std::string node;
    NodeState from;
    NodeState to;
    std::string reason;  // e.g. "no heartbeat for 312 ms", "3 heartbeats in a row"
};

class Liveness {
public:
    Liveness(const Clock& clock, int missLimit, int recoveryBeats);

    // Records a heartbeat; returns the change it caused, if any. Copies of one heartbeat (one per
    // broker) are harmless: they refresh the node but count once toward its recovery.
    std::optional<LivenessChange> onHeartbeat(const Heartbeat& hb);
    // Records an answer to our own ping (process `pid`, at sequence `seq`): a sign of life like a
    // heartbeat, which does not depend on the bus. `intervalMs` is the node's heartbeat interval,
    // used until a heartbeat has said it.
    std::optional<LivenessChange> onPong(const std::string& node, uint64_t pid, uint64_t seq, uint64_t intervalMs);
    // Marks a node DOWN on hard evidence (disconnect, ping timeout); returns the change, if any.
    std::optional<LivenessChange> markDown(const std::string& node, const std::string& reason);
    // Checks every node against its deadline; returns the nodes that just went DOWN.
    std::vector<LivenessChange> tick();

    // Gives every node a fresh deadline from now, without changing any state: used when the bus
    // itself was silent (broker restart), so that silence is not blamed on the nodes.
    void refreshAll();

    NodeState state(const std::string& node) const;
    bool isUp(const std::string& node) const { return state(node) == NodeState::Up; }
    // The last heartbeat received from `node`, if any.
    const Heartbeat* last(const std::string& node) const;
    // Milliseconds since the last heartbeat, or -1 when none was seen.
    int64_t ageMs(const std::string& node) const;
    // Whether the node's last sign of life (a heartbeat, or an answer to our ping) is on time:
    // within one and a half of its own heartbeat intervals, so the one due now may be a little late.
    bool onTime(const std::string& node) const;
    // Whether some node that is UP may reach its deadline before a check one interval from now: its
    // last sign of life is not on time (or the miss limit is under 3 intervals, where even one on
    // time may). A user that checks on the heartbeat's beat checks every 10 ms while this holds.
    bool upAndLate() const;
    // Wall time (ms) of the node's last state change, 0 if none.
    int64_t sinceMs(const std::string& node) const;
    std::vector<std::string> nodes() const;

private:
    struct Entry {
        NodeState state = NodeState::Unknown;
        Heartbeat last;
        bool seen = false;
        TimePoint lastAt{};
        int freshInRow = 0;
        TimePoint countedAt{};  // the last sign of life counted in freshInRow
        int64_t changedWallMs = 0;
        // Hard evidence (disconnect, failed ping) holds a node down until this many fresh beats
        // arrive after it, so a late heartbeat already in flight cannot revive it.
    };
    Millis deadline(const Entry& e) const;
    std::optional<LivenessChange> setState(const std::string& node, Entry& e, NodeState to, std::string reason);

    const Clock& clock_;
    int missLimit_;
    int recoveryBeats_;
    std::map<std::string, Entry> nodes_;
};

}  // namespace jupiter
