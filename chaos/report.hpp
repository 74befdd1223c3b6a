// What a chaos run found, as figures (availability, lost commands, detection and reroute times per
// fault, latency, convergence) and as the text and JSON reports written beside the timeline.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "chaos/experiment.hpp"
#include "chaos/options.hpp"
#include "common/doc.hpp"

namespace jupiter::chaos {

// How the cluster reacted to one fault, from the monitor's and the gateway's transition lines.
struct FaultFinding {
    std::optional<int64_t> detectionMs;  // first monitor DOWN of the target after the fault
    bool inUse = false;                  // the gateway was sending queries to the target then
    std::optional<int64_t> rerouteMs;    // first gateway REROUTE away from it
    std::string rerouteTo;
    std::optional<int64_t> upAfterRecoveryMs;  // monitor UP again, from the start of recovery
};

FaultFinding analyzeFault(const ChaosRun& run, std::size_t index);

// The replica the gateway used at `atMs`, from the last REROUTE line before it ("" if unknown).
std::string replicaInUse(const std::vector<Transition>& transitions, int64_t atMs);

// Zero failed queries, zero lost commands and convergence.
bool passed(const ChaosRun& run);

Doc reportJson(const ChaosRun& run, const ChaosOptions& options);
std::string reportText(const ChaosRun& run, const ChaosOptions& options);

// The monitor's lines written during the run, as they were, one per line.
std::string transitionsDuringRun(const ChaosRun& run);

}  // namespace jupiter::chaos
