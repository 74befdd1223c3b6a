// Reading the bus: one drain of a SUB socket (see Wiring, Link::Subscribe) that decodes each
// [topic, envelope] message once (an event batch may carry a signature frame too) and hands
// heartbeats and other messages to their handlers.
// Malformed messages are counted and skipped (the bus is shared; one bad publisher must not stop
// a reader).
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

#include <zmq.hpp>

#include "bus/heartbeat.hpp"
#include "common/config.hpp"

namespace jupiter {

// Any other message: its envelope, the envelope frame as received, and the signature frame an
// event batch carries (empty when there is none; see signature.hpp).
struct BusMessage {
    const Envelope& env;
    std::string_view raw;
    std::string_view signature;
};

// Returns how many messages it skipped as malformed (wrong frame count, bad envelope or heartbeat,
// a heartbeat whose body names another node than its topic hb.NODE, or a node `config` does not
// have in that role): only configured nodes ever reach a reader's tables. Messages are [topic,
// envelope], and event batches [ev, envelope, signature] or [ev, envelope].
std::size_t drainBus(zmq::socket_t& sub, std::size_t max, const Config& config,
                     const std::function<void(const Heartbeat&)>& onHeartbeat,
                     const std::function<void(const BusMessage&)>& onOther = {});

}  // namespace jupiter
