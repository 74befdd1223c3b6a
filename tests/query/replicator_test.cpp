// Replica catch-up logic on a real store with a ManualClock: duplicates, gaps, replay, bad items.
#include <doctest/doctest.h>

#include <random>

#include "command/event_log.hpp"
#include "query/replicator.hpp"

using namespace jupiter;

namespace {

struct TempStore {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("jupiter-rep-test-" + std::to_string(std::random_device{}()));
    std::unique_ptr<Store> store = std::move(Store::open(path, {}).value());
    ~TempStore() {
        store.reset();
        std::filesystem::remove_all(path);
    }
};

Doc ev(uint64_t seq) {
    return makeEventDoc(seq, "product.created", 1,
                        {{"id", seq}, {"code", "P" + std::to_string(seq)}, {"description", "d"}, {"price_cents", 100}});
}

// Learns the head, lets the live stream's moment pass: replay requests are due from here.
void behindHead(Replicator& r, ManualClock& clock, uint64_t head) {
    r.onHead(head);
    CHECK_FALSE(r.replayDue());  // first a moment for the live stream
    clock.advance(Millis(31));
}

Doc batch(uint64_t from, uint64_t to) {
    Doc b = Doc::array();
    for (uint64_t s = from; s <= to; ++s) b.push_back(ev(s));
    return b;
}

}  // namespace

TEST_CASE("replicator: applies in order - ignores duplicates") {
    TempStore t;
    ManualClock clock;
    Replicator r(*t.store, clock, Millis(1000));
    CHECK(r.onLive(batch(1, 3), 3).value() == 3);
    CHECK(r.onLive(batch(2, 4), 4).value() == 1);  // 2 and 3 again: ignored
    CHECK(r.applied() == 4);
    CHECK_FALSE(r.replayDue());
}

TEST_CASE("replicator: a gap asks for a replay at once - and the replay fills it") {
    TempStore t;
    ManualClock clock;
    Replicator r(*t.store, clock, Millis(1000));
    REQUIRE(r.onLive(batch(1, 2), 2).ok());
    CHECK(r.onLive(batch(5, 6), 6).value() == 0);  // 3 and 4 were dropped
    CHECK(r.gapsSeen() == 1);
    auto from = r.replayDue();
    REQUIRE(from);
    CHECK(*from == 3);
    CHECK_FALSE(r.replayDue());  // one outstanding at a time
    CHECK(r.onReplay(batch(3, 6), 6).value() == 4);
    CHECK(r.applied() == 6);
    CHECK_FALSE(r.replayDue());
}

TEST_CASE("replicator: behind the head without a gap waits briefly for the live stream - then replays") {
    TempStore t;
    ManualClock clock;
    Replicator r(*t.store, clock, Millis(1000));
    r.onHead(10);  // the command node's heartbeat says 10; we have nothing
    CHECK_FALSE(r.replayDue());
    clock.advance(Millis(31));
    auto from = r.replayDue();
    REQUIRE(from);
    CHECK(*from == 1);
    // The reply is lost: after the replay timeout, ask again.
    clock.advance(Millis(999));
    CHECK_FALSE(r.replayDue());
    clock.advance(Millis(2));
    CHECK(r.replayDue());
}

TEST_CASE("replicator: a replay reply's head replaces a guessed head") {
    TempStore t;
    ManualClock clock;
    Replicator r(*t.store, clock, Millis(1000));
    r.onHead(50);  // e.g. a query asked for sequence 50, which does not exist yet
    REQUIRE(r.onReplay(batch(1, 2), 2).ok());
    CHECK(r.head() == 2);
    CHECK_FALSE(r.replayDue());
}

TEST_CASE("replicator: a malformed event is treated as missing - never applied") {
    TempStore t;
    ManualClock clock;
    Replicator r(*t.store, clock, Millis(1000));
    Doc b = batch(1, 3);
    b[1]["body"]["price_cents"] = "free";
    CHECK(r.onLive(b, 3).value() == 1);
    CHECK(r.applied() == 1);
    CHECK(r.replayDue());
    Doc unknown = Doc::array({makeEventDoc(2, "product.exploded", 1, Doc::object())});
    CHECK(r.onLive(unknown, 3).value() == 0);
}

TEST_CASE("replicator: keeps a window of consecutive replay requests in flight") {
    TempStore t;
    ManualClock clock;
    Replicator r(*t.store, clock, Millis(1000), 10, 2);
    behindHead(r, clock, 100);
    CHECK(r.replayDue() == std::optional<uint64_t>(1));
    CHECK(r.replayDue() == std::optional<uint64_t>(11));
    CHECK_FALSE(r.replayDue());  // the window is full
    CHECK(r.inFlight() == 2);
    CHECK(r.onReplay(batch(1, 10), 100).value() == 10);
    CHECK(r.replayDue() == std::optional<uint64_t>(21));  // asked while 11..20 is still on its way
    CHECK(r.onReplay(batch(11, 20), 100).value() == 10);
    CHECK(r.onReplay(batch(21, 30), 100).value() == 10);
    CHECK(r.applied() == 30);
}

TEST_CASE("replicator: a short replay reply - the next range gaps - ask again from what is applied") {
    TempStore t;
    ManualClock clock;
    Replicator r(*t.store, clock, Millis(1000), 10, 2);
    behindHead(r, clock, 100);
    REQUIRE(r.replayDue() == std::optional<uint64_t>(1));
    REQUIRE(r.replayDue() == std::optional<uint64_t>(11));
    CHECK(r.onReplay(batch(1, 5), 100).value() == 5);     // the command node had only 5 committed then
    CHECK(r.replayDue() == std::optional<uint64_t>(21));  // (not known yet that 6..10 are missing)
    CHECK(r.onReplay(batch(11, 20), 100).value() == 0);   // does not continue 5: dropped
    CHECK(r.replayDue() == std::optional<uint64_t>(6));   // one slot free: from what is applied
    CHECK(r.onReplay(batch(21, 30), 100).value() == 0);   // in flight before the restart: dropped too
    CHECK(r.replayDue() == std::optional<uint64_t>(6));
    CHECK(r.onReplay(batch(6, 15), 100).value() == 10);
    CHECK(r.onReplay(batch(6, 15), 100).value() == 0);    // the duplicate request's answer
    CHECK(r.applied() == 15);
}

TEST_CASE("replicator: a lost reply in the window - after the timeout every range is asked again") {
    TempStore t;
    ManualClock clock;
    Replicator r(*t.store, clock, Millis(1000), 10, 2);
    behindHead(r, clock, 25);
    REQUIRE(r.replayDue() == std::optional<uint64_t>(1));
    REQUIRE(r.replayDue() == std::optional<uint64_t>(11));
    clock.advance(Millis(1000));
    CHECK(r.replayDue() == std::optional<uint64_t>(1));
    CHECK(r.replayDue() == std::optional<uint64_t>(11));
    CHECK_FALSE(r.replayDue());
}

TEST_CASE("replicator: an event that does not apply stops it there - what came before is kept - nothing more asked") {
    TempStore t;
    ManualClock clock;
    Replicator r(*t.store, clock, Millis(1000));
    Doc b = batch(1, 5);
    b[2]["body"]["code"] = "P1";  // event 3: a product code event 1 already holds
    CHECK(r.onLive(b, 5).value() == 2);
    CHECK(r.applied() == 2);
    REQUIRE(r.stuck());
    CHECK(r.stuck()->seq == 3);
    CHECK(r.stuck()->reason.find("already taken by id 1") != std::string::npos);
    CHECK(r.lag() == 3);
    // Nothing more is applied or asked for, from the live stream or from a replay.
    clock.advance(Millis(5000));
    CHECK_FALSE(r.replayDue());
    CHECK(r.onReplay(batch(3, 6), 6).value() == 0);
    CHECK(r.onLive(batch(6, 7), 7).value() == 0);
    CHECK(r.applied() == 2);
    // What was committed is exactly events 1 and 2: a replica rebuilt from them has the same digest.
    TempStore fresh;
    Replicator clean(*fresh.store, clock, Millis(1000));
    REQUIRE(clean.onLive(batch(1, 2), 2).value() == 2);
    CHECK(fresh.store->digest() == t.store->digest());
}

TEST_CASE("replicator: the refuse_event_seq hook stops it at that event - a restart without it resumes") {
    TempStore t;
    ManualClock clock;
    {
        Replicator r(*t.store, clock, Millis(1000));
        r.refuseEvent(4);
        CHECK(r.onLive(batch(1, 6), 6).value() == 3);
        REQUIRE(r.stuck());
        CHECK(r.stuck()->seq == 4);
        CHECK(r.stuck()->reason.find("refuse_event_seq") != std::string::npos);
    }
    // The process restarts with a build that can apply it: the replay from 4 on resumes it.
    Replicator r(*t.store, clock, Millis(1000));
    CHECK_FALSE(r.stuck());
    behindHead(r, clock, 6);
    CHECK(r.replayDue() == 4u);
    CHECK(r.onReplay(batch(4, 6), 6).value() == 3);
    CHECK(r.applied() == 6);
    CHECK_FALSE(r.stuck());
}

TEST_CASE("replicator: an unknown event live is a gap - the log's own copy of it stops the replica") {
    TempStore t;
    ManualClock clock;
    Replicator r(*t.store, clock, Millis(1000));
    REQUIRE(r.onLive(batch(1, 2), 2).value() == 2);
    Doc newer = Doc::array({makeEventDoc(3, "product.renamed", 1, {{"id", 1}})});  // from a newer version
    CHECK(r.onLive(newer, 3).value() == 0);
    CHECK_FALSE(r.stuck());  // it may have been damaged on the way: ask the log
    REQUIRE(r.replayDue() == 3u);
    // The log's copy past the next sequence is still a gap (not the event it is at)...
    Doc later = Doc::array({makeEventDoc(4, "product.renamed", 1, {{"id", 1}})});
    CHECK(r.onReplay(later, 4).value() == 0);
    CHECK_FALSE(r.stuck());
    // ...the log's copy at the next sequence is the event itself: this build cannot read it.
    CHECK(r.onReplay(newer, 3).value() == 0);
    REQUIRE(r.stuck());
    CHECK(r.stuck()->seq == 3);
    CHECK(r.stuck()->reason.find("product.renamed") != std::string::npos);
    CHECK_FALSE(r.replayDue());
}
