// One chaos run from start to verdict: a query load and a command stream through the gateways,
// faults injected into the replicas, gateways and brokers meanwhile, then full recovery, quiescence and the checks that
// the replicas converged and that every acknowledged command is there exactly once.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "bench/cluster_control.hpp"
#include "bench/load_engine.hpp"
#include "chaos/command_stream.hpp"
#include "chaos/fault_injector.hpp"
#include "chaos/options.hpp"
#include "chaos/transitions.hpp"
#include "common/doc.hpp"

namespace jupiter::chaos {

struct Convergence {
    bool verified = false;                  // write model and every read model have the same digest
    std::string verifyError;                // why verification could not conclude, if it could not
    Doc verify = Doc::object();             // VerifyReport::toDoc()
    std::map<std::string, int64_t> stock;   // the probe product's stock per replica (-1: no answer)
    bool exactlyOnce = false;               // stock == acknowledged commands on every replica
    uint64_t lost = 0;                      // acknowledged but missing (on the worst replica)
    uint64_t appliedTwice = 0;              // present more often than acknowledged (worst replica)
    bool converged() const { return verified && exactlyOnce; }
};

struct ChaosRun {
    std::filesystem::path clusterDir;
    bool ownedCluster = false;
    int64_t startMs = 0;       // wall clock, ms since the epoch: the load started
    int64_t faultsEndMs = 0;   // every fault recovered
    int64_t endMs = 0;         // the load stopped
    uint64_t product = 0;      // the probe product the command stream adds stock to
    int queryClients = 0;
    std::vector<std::string> replicas;  // the query nodes, in configured order
    std::vector<std::string> spares;    // the gateways, brokers and command nodes, in configured order
    bench::LoadResult queries; // sample times are from startMs
    CommandStats commands;
    std::vector<FaultRecord> faults;
    std::vector<std::string> notes;
    std::vector<Transition> transitions;  // the whole log (earlier lines give the initial states)
    Convergence convergence;
};

// Runs the experiment on `cluster`. `interrupt` (SIGINT) ends the fault phase early; recovery and
// the checks still run. Throws std::runtime_error when the cluster cannot be used at all (the
// probe product cannot be created).
ChaosRun runExperiment(zmq::context_t& ctx, const bench::ClusterControl& cluster, const ChaosOptions& options,
                       const std::atomic<bool>& interrupt);

}  // namespace jupiter::chaos
