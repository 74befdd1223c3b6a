// `jupiter partition | heal`: network faults in a cluster's lab network (netlab/), for trying
// partitions by hand the way the tests and `jupiter chaos --faults partition` make them.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/cluster_dir.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "netlab/lab.hpp"

namespace jupiter::cli {
namespace {

// The cluster in `dir`, if it has a lab network whose bridge is up; otherwise says why not.
std::optional<Config> openLab(const std::string& dirOption) {
    const auto dir = resolveClusterDir(dirOption);
    auto cfg = openCluster(dir);
    if (!cfg) {
        printError(cfg.error().message);
        return std::nullopt;
    }
    if (!cfg->netlab.enabled()) {
        printError(fmt::format("the cluster in {} has no lab network; partitions need one: start a new cluster with "
                               "`jupiter up --netns --dir NEW_DIR` (root)", dir.string()));
        return std::nullopt;
    }
    if (!netlab::labExists(*cfg)) {
        printError(fmt::format("the lab network of {} is not there (bridge {} missing); `jupiter up --dir {}` builds "
                               "it", dir.string(), cfg->netlab.bridge, dir.string()));
        return std::nullopt;
    }
    return std::move(cfg.value());
}

void printFaults(const Config& config) {
    auto faults = netlab::labFaults(config);
    if (!faults) return;
    if (faults->empty()) fmt::print("the lab network is whole\n");
    for (const auto& f : *faults) fmt::print("  {}\n", f);
}

}  // namespace

int runPartition(const std::string& dir, const std::string& node, const std::vector<std::string>& from) {
    auto cfg = openLab(dir);
    if (!cfg) return kExitUsage;
    Status s = Ok{};
    if (from.empty()) {
        s = netlab::isolate(*cfg, node);
        if (s) fmt::print("{} is cut off from everyone (its link is down); `jupiter heal {}` restores it\n", node, node);
    } else {
        const auto peers = netlab::expandMembers(*cfg, from, node);
        if (peers.empty()) {
            printError(fmt::format("--from {} names nobody but {} itself", fmt::join(from, ","), node));
            return kExitUsage;
        }
        s = netlab::block(*cfg, node, peers);
        if (s)
            fmt::print("{} and {} cannot reach each other (blackhole routes both ways); `jupiter heal {}` restores "
                       "them\n", node, fmt::join(peers, ", "), node);
    }
    if (!s) {
        printError(s.error().message);
        return s.error().code == "not_found" ? kExitUsage : kExitFailed;
    }
    printFaults(*cfg);
    return kExitOk;
}

int runHeal(const std::string& dir, const std::string& node) {
    auto cfg = openLab(dir);
    if (!cfg) return kExitUsage;
    if (auto s = netlab::heal(*cfg, node); !s) {
        printError(s.error().message);
        return s.error().code == "not_found" ? kExitUsage : kExitFailed;
    }
    fmt::print("healed {}\n", node.empty() ? std::string("every link") : node);
    printFaults(*cfg);
    return kExitOk;
}

}  // namespace jupiter::cli
