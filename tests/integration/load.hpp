// A steady query load through the gateways from background threads (each with its own failover
// client, thread i starting at gateway i), recording every outcome and which replica served it;
// for failover tests and chaos runs.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/client.hpp"
#include "client/failover_client.hpp"

namespace jupiter::testing {

class QueryLoad {
public:
    QueryLoad(zmq::context_t& ctx, const Credentials& credentials, std::vector<std::string> endpoints, int threads);
    ~QueryLoad();
    void stop();
    uint64_t ok() const { return ok_; }
    uint64_t failed() const { return failed_; }
    std::vector<std::string> failures() const;
    std::map<std::string, uint64_t> servedBy() const;
    // The replica that served the most recent successful query.
    std::string lastServedBy() const;
    // Moves of a client from one gateway to another.
    uint64_t failovers() const { return failovers_; }

private:
    void run(std::size_t start);
    zmq::context_t& ctx_;
    Credentials credentials_;
    std::vector<std::string> endpoints_;
    std::atomic<bool> stop_{false};
    std::atomic<uint64_t> ok_{0}, failed_{0}, failovers_{0};
    mutable std::mutex mu_;
    std::vector<std::string> failures_;
    std::map<std::string, uint64_t> servedBy_;
    std::string last_;
    std::vector<std::thread> threads_;
};

// Sends `total` commands (stock.receive of one unit each) from `threads` clients through the
// gateways. Each command keeps its request id and is resent until acknowledged, as a careful
// client would, so after any crash the product's stock must equal `total` exactly: a lost
// acknowledged command would make it lower, a command applied twice would make it higher.
class CommandLoad {
public:
    CommandLoad(zmq::context_t& ctx, const Credentials& credentials, std::vector<std::string> endpoints,
                uint64_t product, int threads, uint64_t total);
    ~CommandLoad();
    // Until every one of `total` commands is answered (or abandoned).
    void wait();
    // Starts no new command, then waits for those under way: a test whose faults are over need not
    // wait for the rest of its load (check with started(), not `total`).
    void finish();
    // Commands sent so far (each until answered or abandoned): `total` once wait() returns.
    uint64_t started() const { return started_; }
    uint64_t acked() const { return acked_; }
    uint64_t total() const { return total_; }
    uint64_t duplicates() const { return duplicates_; }
    uint64_t resends() const { return resends_; }
    uint64_t maxSeq() const { return maxSeq_; }
    uint64_t abandoned() const { return abandoned_; }
    uint64_t failovers() const { return failovers_; }

private:
    void run(std::size_t start);
    zmq::context_t& ctx_;
    Credentials credentials_;
    std::vector<std::string> endpoints_;
    uint64_t product_;
    uint64_t total_;
    std::atomic<bool> finishing_{false};
    std::atomic<uint64_t> next_{0}, started_{0}, acked_{0}, duplicates_{0}, resends_{0}, maxSeq_{0}, abandoned_{0}, failovers_{0};
    std::vector<std::thread> threads_;
};

}  // namespace jupiter::testing
