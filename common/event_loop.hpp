// The single-threaded reactor each daemon runs: one poll over the sockets it owns, one named handler
// per socket, timers driven by the injected Clock, and SIGTERM/SIGINT delivered as a readable fd
// (signalfd) so that shutdown is just another event; SIGHUP reopens the log file.
//
// It polls the sockets' ZMQ_FDs itself rather than through zmq_poll, which asks every socket for
// ZMQ_EVENTS twice per call (two system calls each): with eight sockets, 34 system calls for one
// wake-up, most of an idle daemon's CPU. Here a socket is asked only when its fd signalled or this
// thread used it since the last turn (common/zmq_util.hpp, noteSocketUsed): the only ways its
// readiness can change unseen.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include <poll.h>

#include <zmq.hpp>

#include "common/clock.hpp"

namespace jupiter {

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread; call before creating the ZeroMQ context
// so its I/O threads inherit the mask and the signals are only seen through EventLoop's signalfd.
void blockTerminationSignals();

class EventLoop {
public:
    using Handler = std::function<void()>;
    using TimerId = uint64_t;

    explicit EventLoop(const Clock& clock);
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // Calls `h` whenever `s` has a message to read. The handler should drain what it can.
    void onReadable(zmq::socket_t& s, Handler h);
    // Calls `h` whenever the file descriptor is readable.
    void onFd(int fd, Handler h);
    // Stops the loop on SIGTERM or SIGINT; on SIGHUP reopens the log file (common/log_file.hpp)
    // and goes on (requires blockTerminationSignals() first).
    void stopOnSignals();

    TimerId every(Millis period, Handler h);
    // Like every(), but each firing falls on a multiple of `period` of the wall clock (the next one
    // at least half a period on): every daemon of a host (or of hosts with synchronised clocks)
    // fires it at the same moment, so what they all send then (heartbeats) reaches each reader
    // together, and it wakes once for many messages rather than once for each.
    TimerId everyOnTheBeat(Millis period, Handler h);
    TimerId after(Millis delay, Handler h);
    void cancel(TimerId id);

    // Runs until stop(); returns the signal number that stopped it, or 0.
    int run();
    // One turn of the loop: waits for a readable socket or the next timer, at most `maxWait` when
    // given, calls the ready handlers, then fires the timers due by the clock. run() repeats it;
    // tests call it directly with a ManualClock and a zero wait. Returns how many handlers and
    // timers it called (0: nothing was ready, which is how an in-process test sees a quiet node).
    int pollOnce(std::optional<Millis> maxWait = std::nullopt);
    // Time until the earliest timer is due (zero when overdue); nullopt when there is none.
    std::optional<Millis> untilNextTimer() const;
    void stop() { stopped_ = true; }
    const Clock& clock() const { return clock_; }

private:
    struct Timer {
        TimePoint due;
        Millis period;  // zero: one-shot
        Handler h;
        bool onTheBeat = false;  // due on the wall clock's multiples of period
    };
    Millis untilBeat(Millis period) const;
    int fireDueTimers();  // how many fired

    const Clock& clock_;
    struct Item {
        void* socket = nullptr;  // a libzmq socket, or null for a plain fd
        Handler h;
        bool ask = true;         // a socket to ask for ZMQ_EVENTS before the next wait
        bool ready = false;
    };
    void add(void* socket, int fd, Handler h);
    bool hasMessage(Item& item);  // asks ZMQ_EVENTS (which takes the fd's signal); ETERM stops the loop
    // Once every kSweepEvery, asks the sockets whose fd is quiet anyway: a use that escaped
    // noteSocketUsed delays a message this long at most, and is reported (once). Whether it found one.
    bool sweep();
    static constexpr Millis kSweepEvery{1000};
    TimePoint nextSweep_{};
    bool sweepWarned_ = false;

    std::vector<Item> items_;
    std::vector<struct pollfd> fds_;  // one per item, same order
    std::map<TimerId, Timer> timers_;
    TimerId nextTimer_ = 1;
    bool stopped_ = false;  // by stop() or a signal: the rest of this turn is skipped
    int signalFd_ = -1;
    int stopSignal_ = 0;
};

}  // namespace jupiter
