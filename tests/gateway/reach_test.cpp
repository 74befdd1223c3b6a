// Reach with a ManualClock: a replica whose pings go unanswered past the limit is cut off from
// this gateway (once reported), until it answers again.
#include <doctest/doctest.h>

#include "gateway/reach.hpp"

using namespace jupiter;

TEST_CASE("reach: unanswered pings past the limit cut a replica off - reported once - an answer restores it") {
    ManualClock clock;
    Reach reach(clock, Millis(600));
    reach.onPingSent("query-1");
    reach.onPingSent("query-2");
    clock.advance(Millis(100));
    reach.onPong("query-2");
    // Pings every 100 ms: the wait counts from the oldest unanswered one, not the latest.
    for (int i = 0; i < 4; ++i) {
        reach.onPingSent("query-1");
        reach.onPingSent("query-2");
        clock.advance(Millis(100));
        reach.onPong("query-2");
    }
    CHECK_FALSE(reach.cutOff("query-1"));
    CHECK(reach.newlyCutOff().empty());
    clock.advance(Millis(100));
    CHECK(reach.cutOff("query-1"));
    CHECK(reach.waited("query-1") == Millis(600));
    CHECK_FALSE(reach.cutOff("query-2"));
    CHECK(reach.newlyCutOff() == std::vector<std::string>{"query-1"});
    CHECK(reach.newlyCutOff().empty());  // once per cut
    reach.onPong("query-1");
    CHECK_FALSE(reach.cutOff("query-1"));
    CHECK(reach.waited("query-1") == Millis(0));
    // A second cut is reported again; a lost connection forgets the wait.
    reach.onPingSent("query-1");
    clock.advance(Millis(700));
    CHECK(reach.newlyCutOff() == std::vector<std::string>{"query-1"});
    reach.forget("query-1");
    CHECK_FALSE(reach.cutOff("query-1"));
    CHECK_FALSE(reach.cutOff("query-3"));  // never pinged: nothing known against it
}

TEST_CASE("reach: a replica in no doubt is pinged once per quiet interval - in doubt, at every call") {
    ManualClock clock;
    Reach reach(clock, Millis(2000), Millis(500));
    CHECK(reach.pingDue("query-1", false));  // never pinged
    reach.onPingSent("query-1");
    reach.onPong("query-1");
    int quiet = 0;
    int doubted = 0;
    for (int i = 0; i < 10; ++i) {  // one second at a 100 ms ping timer
        clock.advance(Millis(100));
        if (reach.pingDue("query-1", false)) {
            ++quiet;
            reach.onPingSent("query-1");
            reach.onPong("query-1");
        }
        if (reach.pingDue("query-2", true)) ++doubted;
    }
    CHECK(quiet == 2);
    CHECK(doubted == 10);
    // Doubt pings now, whenever the last quiet ping went.
    clock.advance(Millis(10));
    CHECK_FALSE(reach.pingDue("query-1", false));
    CHECK(reach.pingDue("query-1", true));
    // A quiet replica cut off is still found: the quiet ping goes unanswered past the limit.
    clock.advance(Millis(500));
    REQUIRE(reach.pingDue("query-1", false));
    reach.onPingSent("query-1");
    clock.advance(Millis(2000));
    CHECK(reach.newlyCutOff() == std::vector<std::string>{"query-1"});
}

TEST_CASE("reach: a ping waits for its verdict until it is answered or its replica is reported cut off") {
    ManualClock clock;
    Reach reach(clock, Millis(600));
    CHECK_FALSE(reach.awaiting());
    reach.onPingSent("query-1");
    CHECK(reach.awaiting());
    reach.onPong("query-1");
    CHECK_FALSE(reach.awaiting());
    reach.onPingSent("query-2");
    clock.advance(Millis(600));
    CHECK(reach.awaiting());  // cut off, not yet reported
    CHECK(reach.newlyCutOff() == std::vector<std::string>{"query-2"});
    CHECK_FALSE(reach.awaiting());  // nothing more will come of waiting
    reach.onPong("query-2");
    reach.onPingSent("query-2");
    CHECK(reach.awaiting());  // a new wait after it answered
    reach.forget("query-2");
    CHECK_FALSE(reach.awaiting());
}

TEST_CASE("reach: a lost connection forgets a cut - the replica reconnected is judged afresh and reported again") {
    ManualClock clock;
    Reach reach(clock, Millis(600));
    reach.onPingSent("query-3");
    clock.advance(Millis(600));
    CHECK(reach.newlyCutOff() == std::vector<std::string>{"query-3"});
    reach.forget("query-3");  // its connection went
    reach.onPingSent("query-3");  // back, and still not answering
    CHECK(reach.awaiting());
    clock.advance(Millis(600));
    CHECK(reach.newlyCutOff() == std::vector<std::string>{"query-3"});
}
