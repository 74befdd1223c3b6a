// EventLoop implementation; see event_loop.hpp.
#include "common/event_loop.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

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
            stopSignal_ = static_cast<int>(info.ssi_signo);
            running_ = false;
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

void EventLoop::fireDueTimers() {
    const TimePoint now = clock_.now();
    std::vector<TimerId> due;
    for (const auto& [id, t] : timers_)
        if (t.due <= now) due.push_back(id);
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
    }
}

int EventLoop::run() {
    running_ = true;
    while (running_) {
        long timeoutMs = -1;
        if (!timers_.empty()) {
            TimePoint next = TimePoint::max();
            for (const auto& [id, t] : timers_) next = std::min(next, t.due);
            const auto wait = toMs(next - clock_.now());
            timeoutMs = std::max<long>(0, static_cast<long>(wait));
        }
        int rc = zmq_poll(items_.data(), static_cast<int>(items_.size()), timeoutMs);
        if (rc < 0) {
            if (zmq_errno() == EINTR) continue;
            if (zmq_errno() == ETERM) break;
            throw std::runtime_error(std::string("zmq_poll failed: ") + zmq_strerror(zmq_errno()));
        }
        for (std::size_t i = 0; i < items_.size() && running_; ++i)
            if (items_[i].revents & ZMQ_POLLIN) handlers_[i]();
        if (running_) fireDueTimers();
    }
    return stopSignal_;
}

}  // namespace jupiter
