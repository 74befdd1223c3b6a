// See heap.hpp.
#include "common/heap.hpp"

#include <malloc.h>

namespace jupiter {

HeapTrimmer::HeapTrimmer(std::chrono::milliseconds period) : period_(period), thread_([this] { run(); }) {}

HeapTrimmer::~HeapTrimmer() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

std::size_t HeapTrimmer::trims() const {
    std::lock_guard lock(mu_);
    return trims_;
}

void HeapTrimmer::run() {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, period_, [this] { return stop_; })) {
        lock.unlock();
        malloc_trim(0);
        lock.lock();
        ++trims_;
    }
}

}  // namespace jupiter
