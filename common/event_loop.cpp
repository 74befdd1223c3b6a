// EventLoop implementation; see event_loop.hpp.
#include "common/event_loop.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "common/log_file.hpp"
#include "common/zmq_util.hpp"

namespace jupiter {
namespace {

sigset_t terminationSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    return set;
}

// logrotate's convention: the file was moved away; write on at its path. A failure is written to
// the old file, which stays in use.
void reopenLogAfterHangup() {
    if (currentLogFile().empty()) return;  // a terminal or the journal: nothing to reopen
    if (auto s = reopenLogFile(); !s)
        fmt::print(stderr, "SIGHUP: {}; still writing to the old file\n", s.error().message);
    else
        fmt::print(stderr, "SIGHUP: log file {} reopened (pid {})\n", currentLogFile().string(), getpid());
}

}  // namespace

void blockTerminationSignals() {
    sigset_t set = terminationSignals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    signal(SIGPIPE, SIG_IGN);
}

EventLoop::EventLoop(const Clock& clock) : clock_(clock) {}

EventLoop::~EventLoop() {
    if (signalFd_ >= 0) close(signalFd_);
}

void EventLoop::add(void* socket, int fd, Handler h) {
    items_.push_back(Item{socket, std::move(h), socket != nullptr, false});
    fds_.push_back(pollfd{fd, POLLIN, 0});
}

void EventLoop::onReadable(zmq::socket_t& s, Handler h) { add(s.handle(), s.get(zmq::sockopt::fd), std::move(h)); }

void EventLoop::onFd(int fd, Handler h) { add(nullptr, fd, std::move(h)); }

bool EventLoop::hasMessage(Item& item) {
    int events = 0;
    std::size_t size = sizeof events;
    if (zmq_getsockopt(item.socket, ZMQ_EVENTS, &events, &size) != 0) {
        if (zmq_errno() == ETERM) stopped_ = true;
        return false;
    }
    return (events & ZMQ_POLLIN) != 0;
}

void EventLoop::stopOnSignals() {
    sigset_t set = terminationSignals();
    signalFd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signalFd_ < 0) throw std::runtime_error("signalfd failed");
    onFd(signalFd_, [this] {
        signalfd_siginfo info{};
        while (read(signalFd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
            if (info.ssi_signo == SIGHUP) {
                reopenLogAfterHangup();
                continue;
            }
            stopSignal_ = static_cast<int>(info.ssi_signo);
            stopped_ = true;
        }
    });
}

EventLoop::TimerId EventLoop::every(Millis period, Handler h) {
    const TimerId id = nextTimer_++;
    timers_[id] = Timer{clock_.now() + period, period, std::move(h)};
    return id;
}

EventLoop::TimerId EventLoop::everyOnTheBeat(Millis period, Handler h) {
    const TimerId id = nextTimer_++;
    timers_[id] = Timer{clock_.now() + untilBeat(period), period, std::move(h), true};
    return id;
}

// To the first multiple of `period` of the wall clock that is at least half a period away: a
// firing just before the beat (the steady and wall clocks drift apart a little) is not followed
// by another a moment later.
Millis EventLoop::untilBeat(Millis period) const {
    const int64_t p = std::max<int64_t>(period.count(), 1);
    const int64_t wall = clock_.wallMs();
    return Millis(((wall + p / 2) / p + 1) * p - wall);
}

EventLoop::TimerId EventLoop::after(Millis delay, Handler h) {
    const TimerId id = nextTimer_++;
    timers_[id] = Timer{clock_.now() + delay, Millis(0), std::move(h)};
    return id;
}

void EventLoop::cancel(TimerId id) { timers_.erase(id); }

int EventLoop::fireDueTimers() {
    const TimePoint now = clock_.now();
    std::vector<TimerId> due;
    for (const auto& [id, t] : timers_)
        if (t.due <= now) due.push_back(id);
    int fired = 0;
    for (TimerId id : due) {
        auto it = timers_.find(id);
        if (it == timers_.end()) continue;  // cancelled by an earlier handler
        Handler h = it->second.h;
        if (it->second.onTheBeat) {
            it->second.due = now + untilBeat(it->second.period);
        } else if (it->second.period.count() > 0) {
            // Catch up without bursts: the next firing is one period from now if we fell behind.
            it->second.due = std::max(it->second.due + it->second.period, now);
        } else {
            timers_.erase(it);
        }
        h();
        ++fired;
    }
    return fired;
}

std::optional<Millis> EventLoop::untilNextTimer() const {
    if (timers_.empty()) return std::nullopt;
    TimePoint next = TimePoint::max();
    for (const auto& [id, t] : timers_) next = std::min(next, t.due);
    // Rounded up: a timer due in 0.4 ms is a 1 ms wait, not a poll that returns at once and is
    // repeated until the timer is due (that spin was most of an idle daemon's CPU).
    return std::max(Millis(0), std::chrono::ceil<Millis>(next - clock_.now()));
}

bool EventLoop::sweep() {
    nextSweep_ = clock_.now() + kSweepEvery;
    bool found = false;
    for (std::size_t i = 0; i < items_.size(); ++i) {
        Item& item = items_[i];
        if (!item.socket || item.ready) continue;
        pollfd one{fds_[i].fd, POLLIN, 0};
        if (::poll(&one, 1, 0) != 0) continue;  // its news is signalled: the wait below sees it
        if (!hasMessage(item)) continue;
        // A message nobody was told about: some use of the socket took its signal unnoted.
        item.ready = found = true;
        if (!sweepWarned_) {
            sweepWarned_ = true;
            fmt::print(stderr,
                       "event loop: a socket ({}) held a message its descriptor had not signalled; something used "
                       "it without noteSocketUsed (common/zmq_util.hpp) - handled now, and found within {} ms\n",
                       describeSocket(item.socket), kSweepEvery.count());
        }
    }
    return found;
}

int EventLoop::pollOnce(std::optional<Millis> maxWait) {
    // A socket this thread used since the last turn may hold a message whose signal that use took.
    bool anyReady = false;
    for (auto& item : items_)
        if (item.socket && (takeSocketUsed(item.socket) || item.ask)) {
            item.ask = false;
            item.ready = hasMessage(item);
            anyReady = anyReady || item.ready;
        }
    if (clock_.now() >= nextSweep_) anyReady = sweep() || anyReady;
    if (stopped_) return 0;

    std::optional<Millis> wait = untilNextTimer();
    if (maxWait && (!wait || *maxWait < *wait)) wait = maxWait;
    const int timeoutMs = anyReady ? 0 : wait ? static_cast<int>(wait->count()) : -1;
    if (::poll(fds_.data(), fds_.size(), timeoutMs) < 0) {
        if (errno == EINTR) return 0;
        throw std::runtime_error(fmt::format("poll failed: {}", std::strerror(errno)));
    }
    for (std::size_t i = 0; i < items_.size(); ++i) {
        if (fds_[i].revents == 0) continue;
        Item& item = items_[i];
        // A socket's fd says only that libzmq has news for it; asking takes the news.
        item.ready = item.ready || (item.socket ? hasMessage(item) : true);
    }
    int called = 0;
    for (std::size_t i = 0; i < items_.size() && !stopped_; ++i) {
        Item& item = items_[i];
        if (!item.ready) continue;
        item.ready = false;
        item.h();  // what it leaves waiting, its last receive noted (recvFrames)
        ++called;
    }
    if (!stopped_) called += fireDueTimers();
    return called;
}

int EventLoop::run() {
    stopped_ = false;
    while (!stopped_) pollOnce();
    return stopSignal_;
}

}  // namespace jupiter
