// See heap.hpp.
#include "common/heap.hpp"

#include <malloc.h>
#include <unistd.h>

#include <fstream>

namespace jupiter {

std::size_t residentBytes() {
    std::ifstream f("/proc/self/statm");
    std::size_t size = 0, resident = 0;
    if (!(f >> size >> resident)) return 0;
    return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

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
