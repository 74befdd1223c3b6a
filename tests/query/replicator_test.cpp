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
