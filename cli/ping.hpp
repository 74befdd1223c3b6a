// Liveness probes from the CLI: a Control "ping" to a node's endpoint, answered with a "pong"
// naming the node and its pid. Used to tell a cluster that is up from one that only has pidfiles.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "common/clock.hpp"
#include "security/credentials.hpp"
#include "common/doc.hpp"

namespace jupiter::cli {

struct Pong {
    Doc body;        // {node, pid, seq}
    Micros rtt{0};   // time from sending the ping to reading the pong
};

// Pings every endpoint at once and waits at most `timeout` in all; result[i] is endpoint i's
// pong, or nullopt when it did not answer in time or refused the connection (nothing listens
// there: not waited for).
std::vector<std::optional<Pong>> pingAll(zmq::context_t& ctx, const Credentials& credentials, const std::vector<std::string>& endpoints,
                                         Millis timeout);

// Pings `endpoint` every `every` until it answers or `timeout` passes; gives up early when
// `stillWorthWaiting` returns false (the process died). Returns the pong, or nullopt.
std::optional<Pong> waitForPong(zmq::context_t& ctx, const Credentials& credentials, const std::string& endpoint, Millis timeout, Millis every,
                                const std::function<bool()>& stillWorthWaiting);

}  // namespace jupiter::cli
