// Keeps a daemon's resident memory close to what it actually holds. glibc's malloc raises its mmap
// threshold each time a large mapped block is freed (up to 32 MiB), after which RocksDB's memtable
// arenas and compaction buffers come from the heap, and the pages they free stay resident: measured
// in process, 1,000,000 commands left 50 MiB of heap with 36 MiB of it free, 66 MiB resident. A
// HeapTrimmer hands free heap pages back to the system now and then (malloc_trim): 34 MiB resident
// after the same million. (Fixing the mmap threshold low instead kept the heap small too, but mapped
// and faulted in every 1 MiB snapshot chunk afresh: a replica installed a copy 2.5 times slower.)
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>

namespace jupiter {

// Gives free heap pages back to the system every `period`, on a thread of its own (trimming walks
// the heap under its locks: milliseconds that a daemon's event loop does not spend). Stops and
// joins when destroyed.
class HeapTrimmer {
public:
    explicit HeapTrimmer(std::chrono::milliseconds period);
    ~HeapTrimmer();
    HeapTrimmer(const HeapTrimmer&) = delete;
    HeapTrimmer& operator=(const HeapTrimmer&) = delete;

    // Times the heap was trimmed so far.
    std::size_t trims() const;

private:
    void run();

    std::chrono::milliseconds period_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::size_t trims_ = 0;
    std::thread thread_;
};

}  // namespace jupiter
