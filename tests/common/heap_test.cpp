#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "common/heap.hpp"

#if defined(JUPITER_SANITIZED)  // AddressSanitizer's allocator (CMakeLists.txt, JUPITER_SANITIZE)
#define JUPITER_OWN_ALLOCATOR 1
#endif

using namespace jupiter;

namespace {

// This process's resident size in bytes (/proc/self/statm).
std::size_t residentBytes() {
    std::ifstream f("/proc/self/statm");
    std::size_t size = 0, resident = 0;
    f >> size >> resident;
    REQUIRE(f.good());
    return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

TEST_CASE("heap: a trimmer gives freed heap pages back while the top of the heap is still held") {
#ifdef JUPITER_OWN_ALLOCATOR
    MESSAGE("skipped: the sanitizer's allocator replaces glibc's heap");
    return;
#endif
    constexpr std::size_t kBlock = 1024, kBlocks = 48 * 1024;  // 48 MiB in blocks far below the mmap threshold
    std::vector<std::unique_ptr<char[]>> blocks;
    blocks.reserve(kBlocks);
    for (std::size_t i = 0; i < kBlocks; ++i) {
        blocks.emplace_back(new char[kBlock]);
        for (std::size_t j = 0; j < kBlock; j += 256) blocks.back()[j] = static_cast<char>(i + j);
    }
    auto top = std::move(blocks.back());  // keeps the heap from shrinking by itself at its end
    blocks.pop_back();
    blocks.clear();
    blocks.shrink_to_fit();
    const std::size_t before = residentBytes();
    REQUIRE(before > 40u << 20);  // the freed blocks are still resident
    {
        HeapTrimmer trimmer(std::chrono::milliseconds(10));
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (trimmer.trims() == 0 && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        CHECK(trimmer.trims() > 0);
    }
    const std::size_t after = residentBytes();
    CHECK(after + (32u << 20) < before);
    CHECK(top[0] == static_cast<char>(kBlocks - 1));
}

TEST_CASE("heap: a trimmer stops at once when destroyed") {
    const auto start = std::chrono::steady_clock::now();
    { HeapTrimmer trimmer(std::chrono::hours(1)); }
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}
