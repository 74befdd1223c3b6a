// A slow, steady stream of commands through the gateways while faults happen: one client (failing
// over between the gateways like any Jupiter client) sending
// `stock.receive` of one unit every period, each resent with the same request id until it is
// acknowledged, as a careful client would. Afterwards the product's stock must equal the number
// of acknowledged commands on every replica: lower means a lost command, higher a double apply.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "common/clock.hpp"
#include "security/credentials.hpp"

namespace jupiter::chaos {

struct CommandSample {
    int64_t ackMs = 0;      // acknowledged (wall clock, ms since the epoch)
    int64_t latencyUs = 0;  // first send to acknowledgement, resends included
};

struct CommandStats {
    uint64_t acked = 0;
    uint64_t resends = 0;
    uint64_t duplicates = 0;   // acknowledgements that said the command had already been applied
    uint64_t maxSeq = 0;       // highest event sequence an acknowledgement named
    uint64_t unresolved = 0;   // sent but never acknowledged (applied or not: unknown)
    uint64_t failovers = 0;    // moves of the client from one gateway to another
    std::vector<CommandSample> samples;
    std::vector<std::string> errors;  // first few error replies and timeouts
};

class CommandStream {
public:
    // Starts sending at once on its own thread.
    CommandStream(zmq::context_t& ctx, const Credentials& credentials, std::vector<std::string> gateways,
                  uint64_t product, Millis period);
    ~CommandStream();
    CommandStream(const CommandStream&) = delete;
    CommandStream& operator=(const CommandStream&) = delete;

    // Stops after the command in flight is acknowledged (or has been resent for 30 s) and returns
    // the totals.
    CommandStats finish();

private:
    void run();
    zmq::context_t& ctx_;
    Credentials credentials_;
    std::vector<std::string> gateways_;
    uint64_t product_;
    Millis period_;
    std::atomic<bool> stop_{false};
    CommandStats stats_;
    std::thread thread_;
};

}  // namespace jupiter::chaos
