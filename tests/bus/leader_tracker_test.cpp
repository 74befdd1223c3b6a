// The head as the leader says it, with a ManualClock: only the leader's heartbeats move it, and a
// head claimed by a node that no longer leads is not kept.
#include <doctest/doctest.h>

#include "bus/leader_tracker.hpp"

using namespace jupiter;

namespace {

Heartbeat commandBeat(const std::string& node, uint64_t epoch, uint64_t seq, bool leads) {
    Heartbeat hb;
    hb.node = node;
    hb.role = Role::Command;
    hb.epoch = epoch;
    hb.seq = seq;
    hb.standing = leads ? "leader" : "standby";
    return hb;
}

}  // namespace

TEST_CASE("leader tracker: only the leader moves the head - a forged claim lasts only while it is believed") {
    ManualClock clock;
    LeaderTracker h(Millis(300));
    CHECK(h.onHeartbeat(commandBeat("command-1", 5, 10, true), clock.now()));
    CHECK(h.onHeartbeat(commandBeat("command-1", 5, 12, true), clock.now()));
    CHECK(h.onHeartbeat(commandBeat("command-1", 5, 11, true), clock.now()));  // late, via the other broker
    CHECK(h.head() == 12);
    // A standby's heartbeat, and a claim at the leader's own epoch by another node (even one whose
    // name sorts first), move nothing: the epoch's first claimant keeps it.
    CHECK_FALSE(h.onHeartbeat(commandBeat("command-2", 5, 999, false), clock.now()));
    clock.advance(Millis(50));
    CHECK_FALSE(h.onHeartbeat(commandBeat("command-0", 5, 1'000'000'000'000, true), clock.now()));
    CHECK(h.onHeartbeat(commandBeat("command-1", 5, 12, true), clock.now()));
    CHECK(h.head() == 12);
    CHECK(h.headLeader() == "command-1");
    // A claim at a higher epoch is believed while it is fresh...
    CHECK(h.onHeartbeat(commandBeat("command-3", 9, 1'000'000'000'000, true), clock.now()));
    CHECK(h.head() == 1'000'000'000'000);
    CHECK(h.headEpoch() == 9);
    CHECK_FALSE(h.onHeartbeat(commandBeat("command-1", 5, 13, true), clock.now()));
    // ...and once it goes quiet the leader's word is the head again, not the largest ever claimed.
    clock.advance(Millis(400));
    CHECK(h.onHeartbeat(commandBeat("command-1", 5, 14, true), clock.now()));
    CHECK(h.head() == 14);
    CHECK(h.headLeader() == "command-1");
    // Not a command node at all: ignored.
    Heartbeat q = commandBeat("query-1", 99, 5'000, true);
    q.role = Role::Query;
    CHECK_FALSE(h.onHeartbeat(q, clock.now()));
    CHECK(h.head() == 14);
}
