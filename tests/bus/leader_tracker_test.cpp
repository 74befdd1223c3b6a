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

TEST_CASE("leader tracker: with several command nodes a claim is believed only while another node names its claimant "
          "as that epoch's leader - one stolen key leads nobody") {
    ManualClock clock;
    LeaderTracker h(Millis(300), true);
    auto standby = [](const std::string& node, const std::string& names, uint64_t epoch) {
        Heartbeat hb = commandBeat(node, epoch, 0, false);
        hb.leader = names;
        return hb;
    };
    // The leader alone: not yet (its standbys have not said so).
    CHECK_FALSE(h.onHeartbeat(commandBeat("command-1", 5, 10, true), clock.now()));
    CHECK_FALSE(h.leader(clock.now()));
    REQUIRE(h.unseconded(clock.now()));
    CHECK(h.unseconded(clock.now())->node == "command-1");
    // A standby naming it at that epoch seconds it: its latest word is the head at once.
    CHECK(h.onHeartbeat(standby("command-2", "command-1", 5), clock.now()));
    CHECK(h.leader(clock.now()) == "command-1");
    CHECK(h.head() == 10);
    CHECK(h.headEpoch() == 5);
    CHECK_FALSE(h.unseconded(clock.now()));
    CHECK(h.onHeartbeat(commandBeat("command-1", 5, 11, true), clock.now()));
    CHECK(h.head() == 11);
    // A thief with command-3's key claims a higher epoch: nobody seconds it (it cannot second
    // itself), so command-1 still leads and the head is still its word.
    CHECK_FALSE(h.onHeartbeat(commandBeat("command-3", 9, 1'000'000'000'000, true), clock.now()));
    CHECK(h.leader(clock.now()) == "command-1");
    CHECK(h.unseconded(clock.now())->node == "command-3");
    CHECK(h.onHeartbeat(commandBeat("command-1", 5, 12, true), clock.now()));
    CHECK(h.head() == 12);
    CHECK(h.headEpoch() == 5);
    // A standby naming another leader, or the same at another epoch, seconds nothing.
    CHECK_FALSE(h.onHeartbeat(standby("command-2", "command-1", 4), clock.now()));
    CHECK_FALSE(h.leader(clock.now()));
    CHECK_FALSE(h.onHeartbeat(standby("command-2", "command-3", 5), clock.now()));
    CHECK_FALSE(h.leader(clock.now()));
    // The standby goes quiet: its word goes with it.
    CHECK_FALSE(h.onHeartbeat(standby("command-2", "command-1", 5), clock.now()));
    CHECK(h.leader(clock.now()) == "command-1");
    clock.advance(Millis(200));
    CHECK(h.onHeartbeat(commandBeat("command-1", 5, 13, true), clock.now()));
    clock.advance(Millis(200));
    CHECK_FALSE(h.onHeartbeat(commandBeat("command-1", 5, 14, true), clock.now()));
    CHECK_FALSE(h.leader(clock.now()));
}
