// A heartbeat as a node would publish it, for the tests of what judges heartbeats (liveness, the
// gateway's replica choice).
#pragma once

#include <cstdint>
#include <string>

#include "bus/heartbeat.hpp"

namespace jupiter::testing {

// Node `node` (its role from its name) at sequence `seq`, process `pid`, every 100 ms.
inline Heartbeat beatOf(const std::string& node, uint64_t seq = 0, uint64_t pid = 100) {
    Heartbeat h;
    h.node = node;
    h.role = node.rfind("query", 0) == 0 ? Role::Query : parseRole(node).value_or(Role::Monitor);
    h.pid = pid;
    h.seq = seq;
    h.intervalMs = 100;
    return h;
}

}  // namespace jupiter::testing
