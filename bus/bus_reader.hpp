// Reading the bus: one drain of a SUB socket (see Wiring, Link::Subscribe) that decodes each
// [topic, envelope] message once and hands heartbeats and other envelopes to their handlers.
// Malformed messages are counted and skipped (the bus is shared; one bad publisher must not stop
// a reader).
#pragma once

#include <cstddef>
#include <functional>

#include <zmq.hpp>

#include "bus/heartbeat.hpp"

namespace jupiter {

struct BusBatch {
    std::size_t messages = 0;   // read from the socket
    std::size_t malformed = 0;  // skipped: wrong frame count, bad envelope or bad heartbeat
};

BusBatch drainBus(zmq::socket_t& sub, std::size_t max, const std::function<void(const Heartbeat&)>& onHeartbeat,
                  const std::function<void(const Envelope&)>& onOther = {});

}  // namespace jupiter
