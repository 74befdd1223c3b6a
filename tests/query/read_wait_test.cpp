// Queries waiting at a replica for a sequence (ReadWait), on a manual clock: a min_seq past the
// head is decided by the leader's answer to a probe sent after it arrived, and only by such a one.
#include <doctest/doctest.h>

#include "query/read_wait.hpp"

using namespace jupiter;

namespace {

Envelope queryFor(uint64_t minSeq, std::string id = "q") {
    Envelope e;
    e.kind = Kind::Query;
    e.name = "sellers.list";
    e.id = std::move(id);
    e.minSeq = minSeq;
    return e;
}

bool add(ReadWait& w, uint64_t minSeq, uint64_t head, std::string id = "q") {
    return w.add(Frames{}, queryFor(minSeq, std::move(id)), head);
}

}  // namespace

TEST_CASE("read wait: a query within the head waits until its sequence is applied - else behind after the wait") {
    ManualClock clock;
    ReadWait w(clock, Millis(1000), 10, Millis(100));
    REQUIRE(add(w, 5, 10, "a"));
    REQUIRE(add(w, 8, 10, "b"));
    CHECK_FALSE(w.probeDue("query-1"));  // within the head: no probe
    CHECK(w.ready(4).empty());
    auto ready = w.ready(5);
    REQUIRE(ready.size() == 1);
    CHECK(ready[0].query.id == "a");
    clock.advance(Millis(999));
    CHECK(w.expired(5, 10, "query-1").empty());
    clock.advance(Millis(1));
    auto late = w.expired(5, 10, "query-1");
    REQUIRE(late.size() == 1);
    CHECK(late[0].error.code == "behind");
    CHECK(late[0].error.field == "min_seq");
    CHECK(w.empty());
}

TEST_CASE("read wait: past the head - the leader's answer to a later probe says ahead_of_head at once") {
    ManualClock clock;
    ReadWait w(clock, Millis(1000), 10, Millis(100));
    REQUIRE(add(w, 50000, 1, "far"));
    auto probe = w.probeDue("query-1");
    REQUIRE(probe);
    CHECK_FALSE(w.probeDue("query-1"));  // one per interval
    auto refused = w.onProbeAnswer(*probe, 1, "command-1");
    REQUIRE(refused.size() == 1);
    CHECK(refused[0].waiting.query.id == "far");
    CHECK(refused[0].error.code == "ahead_of_head");
    CHECK(refused[0].error.field == "min_seq");
    CHECK(refused[0].error.message.find("up to 1") != std::string::npos);
    CHECK(w.empty());
}

TEST_CASE("read wait: a probe sent before a query arrived does not decide it - and an answer within the head keeps "
          "it waiting") {
    ManualClock clock;
    ReadWait w(clock, Millis(1000), 10, Millis(100));
    REQUIRE(add(w, 20, 10, "early"));
    auto first = w.probeDue("query-1");
    REQUIRE(first);
    clock.advance(Millis(5));
    REQUIRE(add(w, 21, 10, "late"));  // its write may have been acknowledged after the probe was read
    auto refused = w.onProbeAnswer(*first, 20, "command-1");
    CHECK(refused.empty());  // "early" is within the answer (waits), "late" came after the probe
    CHECK(w.size() == 2);
    auto second = w.probeDue("query-1");  // at once for the undecided one
    REQUIRE(second);
    clock.advance(Millis(1));
    auto now = w.onProbeAnswer(*second, 21, "command-1");
    CHECK(now.empty());
    CHECK(w.ready(21).size() == 2);
}

TEST_CASE("read wait: unknown or stale probe answers decide nothing - and without a leader the wait ends behind") {
    ManualClock clock;
    ReadWait w(clock, Millis(1000), 10, Millis(100));
    REQUIRE(add(w, 99, 1));
    auto probe = w.probeDue("query-1");
    REQUIRE(probe);
    CHECK(w.onProbeAnswer("query-1-head-77", 1, "command-1").empty());
    CHECK(w.onProbeAnswer("nonsense", 1, "command-1").empty());
    // No answer comes (the leader is gone): probed again every interval, then behind.
    clock.advance(Millis(100));
    CHECK(w.probeDue("query-1"));
    clock.advance(Millis(900));
    auto late = w.expired(1, 1, "query-1");
    REQUIRE(late.size() == 1);
    CHECK(late[0].error.code == "behind");
    CHECK(late[0].error.message.find("no leader said") != std::string::npos);
    // An answer to a probe of a query already gone changes nothing.
    CHECK(w.onProbeAnswer(*probe, 1, "command-1").empty());
}

TEST_CASE("read wait: the head heard from the bus reaching a query makes it an ordinary wait - and the number "
          "waiting is bounded") {
    ManualClock clock;
    ReadWait w(clock, Millis(1000), 2, Millis(100));
    REQUIRE(add(w, 30, 10));
    REQUIRE(add(w, 31, 10));
    CHECK_FALSE(add(w, 32, 10));  // full: the caller answers behind
    CHECK(w.expired(10, 40, "query-1").empty());  // a heartbeat said 40: no probe needed any more
    CHECK_FALSE(w.probeDue("query-1"));
}
