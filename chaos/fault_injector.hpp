// Injects faults into the query replicas, gateways and brokers at random moments (every `every`
// +/- 40%, reproducible from the seed) and recovers them after a while. Only a node the monitor
// calls UP is disturbed, and only while another of its role is UP too (never all of a role at
// once); records what was done when, for the report and the timeline.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "bench/cluster_control.hpp"
#include "chaos/options.hpp"
#include "common/clock.hpp"

namespace jupiter::chaos {

struct FaultRecord {
    FaultKind kind = FaultKind::Kill;
    std::string target;          // a query node, a gateway, a broker or the leading command node
    Role role = Role::Query;     // the target's
    std::string scope;           // a partition: whom it is cut off from ("" = everyone)
    int64_t atMs = 0;            // the signal was sent (wall clock, ms since the epoch)
    int64_t recoverAtMs = 0;     // recovery began (jupiter start / SIGCONT)
    int64_t recoveredMs = 0;     // recovery returned: the process runs and answers ping
    std::string problem;         // empty, or what went wrong injecting or recovering
    std::string label() const;   // "kill query-1", "partition gateway-1 from the brokers"
};

class FaultInjector {
public:
    FaultInjector(const bench::ClusterControl& cluster, const ChaosOptions& options);
    // Recovers whatever is still faulty, so an exception never leaves a replica stopped or dead.
    ~FaultInjector();
    FaultInjector(const FaultInjector&) = delete;
    FaultInjector& operator=(const FaultInjector&) = delete;

    // Injects and recovers faults until `until` (or `stop` turns true), then recovers every replica
    // it disturbed before returning.
    void run(TimePoint until, const std::atomic<bool>& stop);

    const std::vector<FaultRecord>& faults() const { return faults_; }
    // Injections skipped (no safe target) and other remarks, one line each.
    const std::vector<std::string>& notes() const { return notes_; }

private:
    std::map<Role, std::vector<std::string>> nodes_;  // the nodes each fault may disturb, in configured order
    struct Active {
        std::size_t record;  // index into faults_
        TimePoint due;       // when to recover
        int pid;             // the process signalled (SIGCONT goes to that very process)
    };
    double draw();  // uniform in [0, 1), from the seeded generator only
    Millis drawGap();
    void injectNext(TimePoint until);
    // The target for a fault on `role` (a partition's, or faultRole(kind)), "" when none is safe.
    std::string chooseTarget(Role role, std::size_t first) const;
    void cut(FaultRecord& f, const PartitionScope& scope);
    void recover(const Active& a);
    bool startNode(const std::string& node, std::string& problem);
    // No fault of ours is active on it and the monitor's last word on it is UP.
    bool healthy(const std::string& node) const;
    // The command node the monitor last logged as LEADER ("" if none yet).
    std::string currentLeader() const;

    const bench::ClusterControl& cluster_;
    const ChaosOptions& options_;
    std::mt19937_64 rng_;
    std::vector<FaultRecord> faults_;
    std::vector<Active> active_;
    std::vector<std::string> notes_;
};

}  // namespace jupiter::chaos
