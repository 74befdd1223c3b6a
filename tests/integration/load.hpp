// A steady query load through the gateway from background threads (each with its own socket),
// recording every outcome and which replica served it; for failover tests and chaos runs.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/client.hpp"

namespace jupiter::testing {

class QueryLoad {
public:
    QueryLoad(zmq::context_t& ctx, std::string endpoint, int threads);
    ~QueryLoad();
    void stop();
    uint64_t ok() const { return ok_; }
    uint64_t failed() const { return failed_; }
    std::vector<std::string> failures() const;
    std::map<std::string, uint64_t> servedBy() const;
    // The replica that served the most recent successful query.
    std::string lastServedBy() const;

private:
    void run();
    zmq::context_t& ctx_;
    std::string endpoint_;
    std::atomic<bool> stop_{false};
    std::atomic<uint64_t> ok_{0}, failed_{0};
    mutable std::mutex mu_;
    std::vector<std::string> failures_;
    std::map<std::string, uint64_t> servedBy_;
    std::string last_;
    std::vector<std::thread> threads_;
};

}  // namespace jupiter::testing
