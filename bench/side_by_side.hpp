// Comparisons of two clusters that differ in one setting, in the same run: each figure measured on
// one cluster then the other, several rounds, with the cluster not being measured frozen (an idle
// cluster is not free on a small machine), so that drift on the machine hits both alike.
#pragma once

#include <functional>
#include <string>

#include "bench/cluster_control.hpp"
#include "common/clock.hpp"
#include "common/doc.hpp"

namespace jupiter::bench {

// How long a cluster is given after SIGCONT or a restart: heartbeats resume, nodes are judged UP.
inline constexpr Millis kSettle{2000};

struct Alternated {
    Doc runs;            // {"<name a>": [each run's figures], "<name b>": [...]}
    int64_t meanA = 0;   // mean per_second over a's runs
    int64_t meanB = 0;
};

// Measures `a` then `b`, `rounds` times, the other one stopped (SIGSTOP) meanwhile.
Alternated alternate(const ClusterControl& a, const std::string& nameA, const ClusterControl& b,
                     const std::string& nameB, int rounds, const std::function<Doc(const ClusterControl&)>& measure);

// CURVE against mode "none": queries, durable commands and connection set-ups.
int runSecurity(const std::string& jsonOut, int seconds, int rounds);

// sync "durable" against "async" (the default layout: a leader and two standbys, or `commands`
// command nodes): commands/s and latency at 1 to 256 clients.
int runSync(const std::string& jsonOut, int seconds, int rounds, int commands);

}  // namespace jupiter::bench
