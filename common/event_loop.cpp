// EventLoop implementation; see event_loop.hpp.
#include "common/event_loop.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

#include <fmt/format.h>

#include "common/log_file.hpp"

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

void EventLoop::onReadable(zmq::socket_t& s, Handler h) {
    items_.push_back(zmq::pollitem_t{s.handle(), 0, ZMQ_POLLIN, 0});
    handlers_.push_back(std::move(h));
}

void EventLoop::onFd(int fd, Handler h) {
    items_.push_back(zmq::pollitem_t{nullptr, fd, ZMQ_POLLIN, 0});
    handlers_.push_back(std::move(h));
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
        if (it->second.period.count() > 0) {
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

int EventLoop::pollOnce(std::optional<Millis> maxWait) {
    std::optional<Millis> wait = untilNextTimer();
    if (maxWait && (!wait || *maxWait < *wait)) wait = maxWait;
    const long timeoutMs = wait ? static_cast<long>(wait->count()) : -1;
    int rc = zmq_poll(items_.data(), static_cast<int>(items_.size()), timeoutMs);
    if (rc < 0) {
        if (zmq_errno() == EINTR) return 0;
        if (zmq_errno() == ETERM) {
            stopped_ = true;
            return 0;
        }
        throw std::runtime_error(std::string("zmq_poll failed: ") + zmq_strerror(zmq_errno()));
    }
    int called = 0;
    for (std::size_t i = 0; i < items_.size() && !stopped_; ++i)
        if (items_[i].revents & ZMQ_POLLIN) {
            handlers_[i]();
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
