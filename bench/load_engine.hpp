// Closed-loop load: N clients (one FailoverClient each, one request in flight each) driven from a
// single thread with one poll, so 64 clients do not need 64 threads on a 2-core machine. Client i
// starts on endpoint i (mod their number), so clients spread over the gateways, and fails over as
// any Jupiter client does. Records every outcome, its latency and its completion time.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "common/clock.hpp"
#include "security/credentials.hpp"
#include "schemas/envelope.hpp"

namespace jupiter::bench {

struct Sample {
    int64_t doneUs;    // completion, microseconds since the load started
    int64_t latencyUs;
    bool ok;
};

struct LoadResult {
    uint64_t ok = 0;
    uint64_t failed = 0;
    double seconds = 0;
    int64_t startWallMs = 0;  // when the load started (Unix ms), to place samples beside faults
    std::vector<Sample> samples;
    std::map<std::string, uint64_t> servedBy;
    std::map<std::string, uint64_t> answeredBy;  // by endpoint: the gateway (or node) that answered
    uint64_t failovers = 0;                      // moves of a client from one endpoint to another
    std::vector<std::string> errors;  // first few failure messages

    double rate() const { return seconds > 0 ? static_cast<double>(ok) / seconds : 0; }
    int64_t percentileUs(double p) const;
    int64_t maxUs() const;
    // The longest time between two consecutive successful completions.
    int64_t longestGapUs() const;
    // When the longest gap ended, microseconds since the load started.
    int64_t longestGapEndUs() const;
};

struct LoadSpec {
    std::vector<std::string> endpoints;  // equivalent servers (the gateways), or one node
    Credentials credentials = Credentials::none();  // the cluster's (client) keys; none for the plain echo
    int clients = 1;
    Millis duration{2000};
    Millis requestTimeout{10000};
    // Builds request number `n` (the id is set by the engine).
    std::function<Envelope(uint64_t n)> make;
    const std::atomic<bool>* stop = nullptr;  // optional early stop
    // Start the clock only once every client is connected to its first server: a steady-state figure, without
    // the connection set-ups (a CURVE handshake each), which are measured apart.
    bool connectFirst = false;
};

LoadResult runLoad(zmq::context_t& ctx, const LoadSpec& spec);

}  // namespace jupiter::bench
