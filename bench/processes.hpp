// Several load-generator processes at once (one process tops out near what one core can drive),
// their figures summed, and the CPU time each daemon of the cluster spent meanwhile, so that the
// bottleneck shows.
#pragma once

#include <functional>

#include "bench/cluster_control.hpp"
#include "common/doc.hpp"

namespace jupiter::bench {

// Runs `load` in `procs` forked processes at once (each must make its own ZeroMQ context: call this
// before the caller has one) and merges their summaries: ok, failed and per_second summed;
// p50_us the median of theirs, p99_us and max_us the highest; errors and served_by gathered. With
// procs = 1 it runs `load` here. Adds "cpu_seconds" per daemon, "load_cpu_seconds" (the load
// generators' own) and "wall_seconds".
Doc runLoadProcesses(const ClusterControl& cluster, int procs, const std::function<Doc()>& load);

}  // namespace jupiter::bench
