// `jupiter verify`: proof that every replica holds exactly the write model's state (client/verify.hpp);
// prints agree / disagree with the first differing record, and exits non-zero on divergence.
#include <cstdio>

#include <fmt/format.h>

#include "cli/cluster_dir.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "client/client.hpp"
#include "client/verify.hpp"

namespace jupiter::cli {

int runVerify(const std::string& dirOption, bool json, int waitMs) {
    const auto dir = resolveClusterDir(dirOption);
    auto config = openCluster(dir);
    if (!config) {
        fmt::print(stderr, "jupiter: {}\n", config.error().message);
        return kExitUsage;
    }
    auto credentials = clientCredentials(*config);
    if (!credentials) {
        fmt::print(stderr, "jupiter: {}\n", credentials.error().message);
        return kExitUsage;
    }
    zmq::context_t ctx(1);
    auto report = verifyCluster(ctx, *credentials, *config, Millis(waitMs));
    if (!report) {
        fmt::print(stderr, "jupiter verify: {}\n", report.error().message);
        if (report.error().code == kKeyRefused) return kExitRefused;
        return report.error().code == "unavailable" ? kExitUnreachable : kExitFailed;
    }
    if (json) {
        fmt::print("{}\n", report->toDoc().dump(2));
    } else {
        fmt::print("{:<9}  {:>8}  {:>16}  {:>8}\n", "node", "seq", "digest", "records");
        for (const auto& n : report->nodes)
            fmt::print("{:<9}  {:>8}  {:016x}  {:>8}\n", n.node, n.seq, n.digest, n.records);
        std::size_t commandNodes = 0;
        for (const auto& n : report->nodes)
            if (const auto* nc = config->node(n.node); nc && nc->role == Role::Command) ++commandNodes;
        if (report->agree)
            fmt::print("agree: the write model ({} command node{}) and all {} replicas hold the same state at sequence "
                       "{}\n", commandNodes, commandNodes == 1 ? "" : "s", report->nodes.size() - commandNodes,
                       report->seq);
        for (const auto& d : report->differences) fmt::print("disagree: {}\n", d);
    }
    return report->agree ? kExitOk : kExitFailed;
}

}  // namespace jupiter::cli
