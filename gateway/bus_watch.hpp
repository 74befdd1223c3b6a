// Is the bus itself alive? Judged by the brokers' own heartbeats, each broker separately: the bus
// is up while any broker's heartbeat is fresh (within `deadline`), silent when none is. While it
// is silent, other nodes' silence says nothing about them (their heartbeats cannot arrive), so
// users of Liveness freeze it (the gateway judges replicas by their connections alone meanwhile)
// and refresh every deadline when the bus comes back. Time comes from the injected Clock.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "common/clock.hpp"

namespace jupiter {

class BusWatch {
public:
    BusWatch(const Clock& clock, Millis deadline);

    // A heartbeat from broker `broker` arrived. Returns true when it brings the bus up (it was silent).
    bool onBrokerBeat(const std::string& broker);
    // Re-judges the bus; returns how long it has been silent when it has just gone silent.
    std::optional<Millis> tick();

    bool up() const { return up_; }
    Millis deadline() const { return deadline_; }
    // Brokers whose heartbeat is fresh now.
    std::size_t brokersUp() const;
    // Whether this broker's heartbeat is fresh now.
    bool fresh(const std::string& broker) const;
    // Whether a broker's heartbeat, fresh now, stops being fresh within `horizon` unless another
    // comes: a caller that judges the bus on the beat judges it sooner while this holds.
    bool staleWithin(Millis horizon) const;

private:
    const Clock& clock_;
    Millis deadline_;
    std::map<std::string, TimePoint> lastBeat_;
    bool up_ = false;
};

}  // namespace jupiter
