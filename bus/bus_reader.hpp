// Reading the bus: one drain of a SUB socket (see Wiring, Link::Subscribe) that decodes each
// [topic, envelope] message once and hands heartbeats and other envelopes to their handlers.
// Malformed messages are counted and skipped (the bus is shared; one bad publisher must not stop
// a reader).
#pragma once

#include <cstddef>
#include <functional>

#include <zmq.hpp>

#include "bus/heartbeat.hpp"
#include "common/config.hpp"

namespace jupiter {

// Returns how many messages it skipped as malformed (wrong frame count, bad envelope or heartbeat,
// a heartbeat whose body names another node than its topic hb.NODE, or a node `config` does not
// have in that role): only configured nodes ever reach a reader's tables.
std::size_t drainBus(zmq::socket_t& sub, std::size_t max, const Config& config,
                     const std::function<void(const Heartbeat&)>& onHeartbeat,
                     const std::function<void(const Envelope&)>& onOther = {});

}  // namespace jupiter
