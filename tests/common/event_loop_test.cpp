// The event loop's timers and handlers, driven by a ManualClock: one turn at a time, no sleeping.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "common/event_loop.hpp"
#include "common/zmq_util.hpp"

using namespace jupiter;

namespace {

// Two PAIR sockets over inproc: the loop reads `in` (up to `take` messages a wake-up) into `seen`;
// the test writes to `out`.
struct LoopPair {
    LoopPair(EventLoop& loop, std::size_t take) {
        static int n = 0;
        const std::string ep = "inproc://event-loop-test-" + std::to_string(n++);
        in.bind(ep);
        out.connect(ep);
        loop.onReadable(in, [this, take] { drain(in, take, [&](Frames&& f) { seen.emplace_back(view(f[0])); }); });
    }
    zmq::context_t ctx{1};
    zmq::socket_t in = makeSocket(ctx, zmq::socket_type::pair);
    zmq::socket_t out = makeSocket(ctx, zmq::socket_type::pair);
    std::vector<std::string> seen;
};

}  // namespace

TEST_CASE("event loop: periodic and one-shot timers fire when the clock says - not before") {
    ManualClock clock;
    EventLoop loop(clock);
    int ticks = 0, once = 0;
    loop.every(Millis(100), [&] { ++ticks; });
    loop.after(Millis(250), [&] { ++once; });
    REQUIRE(loop.untilNextTimer().has_value());
    CHECK(loop.untilNextTimer()->count() == 100);
    loop.pollOnce(Millis(0));
    CHECK(ticks == 0);
    clock.advance(Millis(100));
    CHECK(loop.untilNextTimer()->count() == 0);
    loop.pollOnce(Millis(0));
    CHECK(ticks == 1);
    clock.advance(Millis(150));
    loop.pollOnce(Millis(0));
    CHECK(ticks == 2);
    CHECK(once == 1);
    clock.advance(Millis(1000));
    loop.pollOnce(Millis(0));
    CHECK(once == 1);   // one-shot
    CHECK(ticks == 3);  // a loop that fell behind fires once, not ten times
    clock.advance(Millis(100));
    loop.pollOnce(Millis(0));
    CHECK(ticks == 4);
}

TEST_CASE("event loop: a timer on the beat fires on the wall clock's multiples of its period - two loops together") {
    ManualClock clock(1'700'000'000'037);  // 37 ms past a beat of 100 ms
    EventLoop a(clock);
    EventLoop b(clock);
    std::vector<int64_t> firedA, firedB;
    a.everyOnTheBeat(Millis(100), [&] { firedA.push_back(clock.wallMs()); });
    clock.advance(Millis(41));  // b starts later, in the same period
    b.everyOnTheBeat(Millis(100), [&] { firedB.push_back(clock.wallMs()); });
    for (int i = 0; i < 400; ++i) {
        clock.advance(Millis(1));
        a.pollOnce(Millis(0));
        b.pollOnce(Millis(0));
    }
    // a: the next beat is 63 ms away (more than half a period): it fires there. b, 22 ms before
    // that beat, waits for the one after: each firing at least half a period after the start.
    REQUIRE(firedA.size() == 4);
    CHECK(firedA.front() == 1'700'000'000'100);
    CHECK(firedB.front() == 1'700'000'000'200);
    for (std::size_t i = 1; i < firedA.size(); ++i) CHECK(firedA[i] - firedA[i - 1] == 100);
    CHECK(std::vector<int64_t>(firedA.begin() + 1, firedA.end()) == firedB);
    // Late (a busy host): the next firing is back on the beat, not a period after the late one.
    clock.advance(Millis(152));  // to 630: the beat of 500 missed
    a.pollOnce(Millis(0));
    const int64_t late = firedA.back();
    CHECK(late % 100 == 30);
    clock.advance(Millis(70));
    a.pollOnce(Millis(0));
    CHECK(firedA.back() == late + 70);
}

TEST_CASE("event loop: a timer due within the next millisecond is waited for, not polled for") {
    // The wait is rounded up: rounded down, it was 0 ms for the last fraction of every period, and
    // the loop polled without waiting until the timer was due (most of an idle daemon's CPU).
    ManualClock clock;
    EventLoop loop(clock);
    int ticks = 0;
    loop.every(Millis(10), [&] { ++ticks; });
    clock.advance(Micros(9'600));
    REQUIRE(loop.untilNextTimer().has_value());
    CHECK(loop.untilNextTimer()->count() == 1);
    CHECK(loop.pollOnce() == 0);  // waits that millisecond (the manual clock does not move): nothing due
    clock.advance(Micros(400));
    CHECK(loop.untilNextTimer()->count() == 0);
    CHECK(loop.pollOnce() == 1);
    CHECK(ticks == 1);
}

TEST_CASE("event loop: a cancelled timer never fires - a handler may cancel another") {
    ManualClock clock;
    EventLoop loop(clock);
    int a = 0, b = 0;
    EventLoop::TimerId idB = 0;
    loop.every(Millis(10), [&] {
        ++a;
        loop.cancel(idB);
    });
    idB = loop.every(Millis(10), [&] { ++b; });
    clock.advance(Millis(10));
    loop.pollOnce(Millis(0));
    CHECK(a == 1);
    CHECK(b == 0);
    CHECK(loop.untilNextTimer()->count() == 10);
    auto id = loop.after(Millis(5), [&] { a = 100; });
    loop.cancel(id);
    clock.advance(Millis(5));
    loop.pollOnce(Millis(0));
    CHECK(a == 1);
}

TEST_CASE("event loop: a readable socket's handler runs in the same turn as due timers") {
    ManualClock clock;
    EventLoop loop(clock);
    LoopPair p(loop, kDrainSmall);
    auto& out = p.out;
    auto& seen = p.seen;
    int ticks = 0;
    loop.every(Millis(50), [&] { ++ticks; });
    CHECK_FALSE(EventLoop(clock).untilNextTimer().has_value());
    REQUIRE(sendFrames(out, {"one"}));
    REQUIRE(sendFrames(out, {"two"}));
    clock.advance(Millis(50));
    loop.pollOnce(Millis(1000));  // returns at once: the socket is readable
    CHECK(seen == std::vector<std::string>{"one", "two"});
    CHECK(ticks == 1);
}

// libzmq signals a socket's fd once per batch of news, and any operation on the socket may take that
// signal: the loop asks the sockets this thread noted (sendFrames, recvFrames) directly.
TEST_CASE("event loop: a message whose signal another use of the socket took is handled once noted - found by the sweep if not - one a handler left, too") {
    ManualClock clock;
    EventLoop loop(clock);
    LoopPair p(loop, 1);
    auto& in = p.in;
    auto& out = p.out;
    auto& seen = p.seen;
    CHECK(loop.pollOnce(Millis(0)) == 0);

    REQUIRE(sendFrames(out, {"one"}));
    // What a send on `in` may do: libzmq takes the news (here for certain, through ZMQ_EVENTS).
    int events = 0;
    std::size_t size = sizeof events;
    REQUIRE(zmq_getsockopt(in.handle(), ZMQ_EVENTS, &events, &size) == 0);
    REQUIRE((events & ZMQ_POLLIN) != 0);
    CHECK(loop.pollOnce(Millis(0)) == 0);  // unnoted, the fd says nothing: the message waits...
    clock.advance(Millis(999));
    CHECK(loop.pollOnce(Millis(0)) == 0);
    clock.advance(Millis(1));
    CHECK(loop.pollOnce(Millis(0)) == 1);  // ...until the once-a-second sweep finds it
    CHECK(seen == std::vector<std::string>{"one"});
    CHECK(loop.pollOnce(Millis(0)) == 0);

    REQUIRE(sendFrames(out, {"noted"}));
    REQUIRE(zmq_getsockopt(in.handle(), ZMQ_EVENTS, &events, &size) == 0);
    REQUIRE((events & ZMQ_POLLIN) != 0);
    noteSocketUsed(in);  // as sendFrames does: asked at the next turn
    CHECK(loop.pollOnce(Millis(0)) == 1);
    CHECK(seen == std::vector<std::string>{"one", "noted"});

    // A handler that takes one message at a time is called again for the rest, with no new signal.
    REQUIRE(sendFrames(out, {"two"}));
    REQUIRE(sendFrames(out, {"three"}));
    CHECK(loop.pollOnce(Millis(0)) == 1);
    CHECK(loop.pollOnce(Millis(0)) == 1);
    CHECK(seen == std::vector<std::string>{"one", "noted", "two", "three"});
    CHECK(loop.pollOnce(Millis(0)) <= 1);  // a last look that finds nothing
    CHECK(loop.pollOnce(Millis(0)) == 0);
}
