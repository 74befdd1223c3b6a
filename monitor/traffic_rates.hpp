// The cluster's traffic as the console shows it: queries and commands per second answered by all
// the gateways together, over the last few seconds, from the running counts in their heartbeats.
// A heartbeat comes once per broker, so copies and late copies of an older one are no news; a
// gateway that started again (a new pid, up for less time) counts from zero.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "bus/heartbeat.hpp"
#include "common/clock.hpp"

namespace jupiter {

class TrafficRates {
public:
    // Rates over the last `window` (at least two samples apart).
    TrafficRates(const Clock& clock, Millis window) : clock_(clock), window_(window) {}

    void onGatewayBeat(const Heartbeat& hb);
    // Takes a sample of the totals now (the monitor does at each heartbeat interval).
    void sample();
    double queriesPerSecond() const { return rate(&Sample::queries); }
    double commandsPerSecond() const { return rate(&Sample::commands); }

private:
    struct Seen {
        uint64_t pid = 0;
        uint64_t uptimeMs = 0;
        uint64_t queries = 0;
        uint64_t commands = 0;
    };
    struct Sample {
        TimePoint at;
        uint64_t queries = 0;
        uint64_t commands = 0;
    };
    double rate(uint64_t Sample::*field) const;

    const Clock& clock_;
    Millis window_;
    std::map<std::string, Seen> gateways_;
    uint64_t queries_ = 0;  // answered since the monitor started, all gateways
    uint64_t commands_ = 0;
    std::deque<Sample> samples_;
};

}  // namespace jupiter
