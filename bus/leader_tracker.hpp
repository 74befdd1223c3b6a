// Which command node leads, as its heartbeats say: the highest epoch among command nodes that
// claimed the lead in a heartbeat younger than `freshFor`. A deposed leader that still claims it
// (resumed after SIGSTOP, before its elector notices) loses to the newer epoch; one that is silent
// is forgotten after `freshFor`. Two claims of one epoch cannot both be true (an epoch is the etcd
// revision that created one leader's key): the first to claim it keeps it.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "bus/heartbeat.hpp"
#include "common/clock.hpp"

namespace jupiter {

class LeaderTracker {
public:
    explicit LeaderTracker(Millis freshFor) : freshFor_(freshFor) {}
    void onHeartbeat(const Heartbeat& hb, TimePoint now);
    std::optional<std::string> leader(TimePoint now) const;

private:
    struct Claim {
        uint64_t epoch = 0;
        bool leads = false;
        TimePoint at{};     // its latest heartbeat
        TimePoint since{};  // when it first claimed this epoch's lead
    };
    Millis freshFor_;
    std::map<std::string, Claim> claims_;
};

}  // namespace jupiter
