// Leadership rules on a manual clock: when a leader may acknowledge, and who may take over.
#include <doctest/doctest.h>

#include "election/elector.hpp"
#include "election/leadership.hpp"

using namespace jupiter;

TEST_CASE("leadership: a leader acknowledges only while its lease is certainly alive") {
    ManualClock clock;
    LeaseWindow w(Millis(150));
    CHECK_FALSE(w.valid(clock.now()));
    const TimePoint sent = clock.now();
    clock.advance(Millis(30));  // etcd answered the keepalive 30 ms later
    w.confirmed(sent, Millis(1000));
    CHECK(w.valid(clock.now()));
    clock.advance(Millis(819));
    CHECK(w.valid(clock.now()));  // 849 ms after sending: sent + TTL - safety is 850
    clock.advance(Millis(1));
    CHECK_FALSE(w.valid(clock.now()));
    // A late answer to an older keepalive never shortens the window.
    w.confirmed(sent - Millis(500), Millis(1000));
    CHECK(*w.validUntil() == sent + Millis(850));

    Leadership l("command-1");
    CHECK_FALSE(l.canAcknowledge(clock.now()));
    l.lead(42, clock.now() + Millis(100));
    CHECK(l.canAcknowledge(clock.now()));
    CHECK(l.epoch() == 42);
    clock.advance(Millis(100));
    CHECK_FALSE(l.canAcknowledge(clock.now()));  // stopped SIGSTOPped past its lease: no more acks
    l.follow("command-2", 57);
    CHECK_FALSE(l.leading());
    CHECK(l.leader() == "command-2");
    l.alone();
    clock.advance(Millis(1'000'000));
    CHECK(l.canAcknowledge(clock.now()));  // a single command node needs no lease
}

TEST_CASE("leadership: a candidate's fence stops acknowledgements of the epochs it has seen end, for a while") {
    ManualClock clock;
    Leadership l("command-1");
    l.lead(40, clock.now() + Millis(800));
    REQUIRE(l.canAcknowledge(clock.now()));
    // A candidate read the leader key gone at revision 45: epoch 40 is over.
    l.fence(45, clock.now() + Millis(2000));
    CHECK(l.fenced(40, clock.now()));
    CHECK(l.fenced(45, clock.now()));
    CHECK_FALSE(l.fenced(46, clock.now()));  // a leader elected after the read is not fenced
    CHECK_FALSE(l.canAcknowledge(clock.now()));
    // An older fence, or a shorter one, never narrows it.
    l.fence(30, clock.now() + Millis(10));
    CHECK(l.fenced(45, clock.now() + Millis(1999)));
    // Past its end, a stale fence is harmless: it lies beyond any fenced leader's lease window.
    clock.advance(Millis(2000));
    CHECK_FALSE(l.fenced(40, clock.now()));
    // It survives role changes: a standby of the fenced epoch fetches (acknowledges) nothing.
    l.fence(50, clock.now() + Millis(2000));
    l.follow("command-2", 48);
    CHECK(l.fenced(l.epoch(), clock.now()));
    l.follow("command-3", 51);
    CHECK_FALSE(l.fenced(l.epoch(), clock.now()));
    l.lead(52, clock.now() + Millis(800));
    CHECK(l.canAcknowledge(clock.now()));
}

TEST_CASE("leadership: only a node with everything a leader-and-standby pair may hold takes over") {
    const LogPosition me{5, 100};
    // Everyone answered and is behind or level: go.
    CHECK(mayCampaign(me, {LogPosition{5, 99}, LogPosition{5, 100}}));
    // The old leader is dead; the other standby answered and is behind: go.
    CHECK(mayCampaign(me, {std::nullopt, LogPosition{5, 90}}));
    // The other standby is ahead (it may hold an acknowledged write we lack): it goes, not us.
    CHECK_FALSE(mayCampaign(me, {std::nullopt, LogPosition{5, 101}}));
    // An entry of a later epoch beats a longer log of an earlier one (Raft's rule).
    CHECK_FALSE(mayCampaign(me, {std::nullopt, LogPosition{6, 50}}));
    CHECK(mayCampaign({6, 50}, {std::nullopt, LogPosition{5, 100}}));
    // A deposed leader that is alive and ahead (unacknowledged writes) does not block a standby
    // that heard from the other standby.
    CHECK(mayCampaign(me, {LogPosition{5, 140}, LogPosition{5, 100}}));
    // Both others silent: we might lack an acknowledged write.
    CHECK_FALSE(mayCampaign(me, {std::nullopt, std::nullopt}));
    // Two command nodes: the standby holds every acknowledged write.
    CHECK(mayCampaign(me, {std::nullopt}));
}

TEST_CASE("leadership: elector reports survive their encoding") {
    ElectorReport r{LeaderRole::Leader, "command-3", 17, TimePoint(Millis(123456)), ""};
    auto back = decodeReport(encodeReport(r));
    REQUIRE(back);
    CHECK(back->role == LeaderRole::Leader);
    CHECK(back->leader == "command-3");
    CHECK(back->epoch == 17);
    CHECK(back->validUntil == TimePoint(Millis(123456)));
    auto s = decodeReport(encodeReport({LeaderRole::Standby, "command-1", 9, {}, ""}));
    CHECK(s->role == LeaderRole::Standby);
    CHECK(decodeReport(Doc::array()) == std::nullopt);
}
