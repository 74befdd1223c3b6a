// The settings of one chaos run (what to disturb, how often, for how long, where to report), and
// the parsing of their command-line spellings, validated once with messages naming the bad value.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/config.hpp"
#include "common/result.hpp"

namespace jupiter::chaos {

// What is done, and to which kind of node: to a query replica, kill -9 then start; SIGSTOP then
// SIGCONT; SIGTERM then start. To a gateway or a broker, kill -9 then start, or SIGSTOP then
// SIGCONT. Never to every node of a role at once. A partition (lab networks only: `jupiter up
// --netns`) cuts one node's links, then heals them: a replica from everyone or from the gateways
// only, a gateway from the brokers, a broker from everyone, the leading command node from the
// standbys and etcd.
enum class FaultKind { Kill, Stop, Restart, KillGateway, StopGateway, KillBroker, StopBroker, KillLeader, StopLeader,
                       Partition };

std::string_view faultKindName(FaultKind k);  // "kill", ..., "kill-gateway", "stop-broker", "kill-leader"
const std::vector<FaultKind>& allFaultKinds();
Role faultRole(FaultKind k);    // the role of the nodes it disturbs (a partition: see PartitionScope)
bool isStopFault(FaultKind k);  // SIGSTOP (recovered with SIGCONT)

// What a partition cuts, and whom: the role of its target and the peers it loses ("" = everyone).
struct PartitionScope {
    Role role;
    std::vector<std::string> from;  // roles, or "etcd", as `jupiter partition --from` takes them
    std::string label;              // "", "from the gateways", ...
};
const std::vector<PartitionScope>& partitionScopes();

struct ChaosOptions {
    std::filesystem::path dir;           // the cluster to use (or to start one beside, when none runs)
    Millis duration{60000};
    Millis every{5000};                  // mean time between fault injections
    std::vector<FaultKind> faults{FaultKind::Kill, FaultKind::Stop, FaultKind::Restart};  // the replicas'; --faults adds the spares' kinds
    uint64_t seed = 1;
    std::optional<std::filesystem::path> out;  // default: DIR/chaos
    bool json = false;                   // print report.json instead of report.txt
    int queryClients = 8;
    Millis commandPeriod{20};
};

// "60s", "1.5s", "500ms", "2m" or plain milliseconds ("1500"). Errors (code "bad_option") name
// `option` and the accepted forms.
Result<Millis> parseDuration(std::string_view text, std::string_view option);

// A comma-separated subset of allFaultKinds' names (no empties, no repeats).
Result<std::vector<FaultKind>> parseFaults(std::string_view text);

}  // namespace jupiter::chaos
