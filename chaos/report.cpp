// Findings and reports of a chaos run; see report.hpp.
#include "chaos/report.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

namespace jupiter::chaos {
namespace {

// A latency or interval for people: 0.42 ms, 12.3 ms, 262 ms, 1.62 s.
std::string human(int64_t us) {
    const double ms = static_cast<double>(us) / 1000.0;
    if (ms < 10) return fmt::format("{:.2f} ms", ms);
    if (ms < 100) return fmt::format("{:.1f} ms", ms);
    if (ms < 1000) return fmt::format("{:.0f} ms", ms);
    return fmt::format("{:.2f} s", ms / 1000.0);
}

// Whole milliseconds (log-line and signal times have no finer resolution), seconds from 1 s on.
std::string humanMs(int64_t ms) { return ms < 1000 ? fmt::format("{} ms", ms) : human(ms * 1000); }

Doc optionalMs(const std::optional<int64_t>& v) { return v ? Doc(*v) : Doc(nullptr); }

int64_t percentile(std::vector<int64_t> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

std::vector<int64_t> commandLatencies(const ChaosRun& run) {
    std::vector<int64_t> v;
    for (const auto& s : run.commands.samples) v.push_back(s.latencyUs);
    return v;
}

double availabilityPct(const ChaosRun& run) {
    const uint64_t total = run.queries.ok + run.queries.failed;
    return total == 0 ? 0.0 : 100.0 * static_cast<double>(run.queries.ok) / static_cast<double>(total);
}

// The next fault on the same replica bounds the lines that can belong to this one.
int64_t nextFaultOnTarget(const ChaosRun& run, std::size_t index) {
    const auto& f = run.faults[index];
    for (std::size_t j = index + 1; j < run.faults.size(); ++j)
        if (run.faults[j].target == f.target) return run.faults[j].atMs;
    return std::numeric_limits<int64_t>::max();
}

std::string rerouteText(const FaultFinding& x) {
    if (x.rerouteMs) return fmt::format("{} -> {}", humanMs(*x.rerouteMs), x.rerouteTo);
    return x.inUse ? "not rerouted" : "n/a (not in use)";
}

struct RerouteCounts {
    uint64_t total = 0, lag = 0, failBack = 0;
};

// The first gateway's route changes during the run (every gateway routes alike), by the reason its
// lines give.
RerouteCounts reroutes(const ChaosRun& run) {
    RerouteCounts n;
    const std::string gateway = run.spares.empty() ? std::string() : run.spares.front();
    for (const auto& t : run.transitions) {
        if (t.event != "REROUTE" || t.atMs < run.startMs || t.atMs > run.endMs) continue;
        if (!gateway.empty() && t.node != gateway) continue;
        ++n.total;
        if (t.line.find("behind the head") != std::string::npos) ++n.lag;
        if (t.line.find("(fail-back)") != std::string::npos) ++n.failBack;
    }
    return n;
}

}  // namespace

std::string replicaInUse(const std::vector<Transition>& transitions, int64_t atMs) {
    std::string inUse;
    for (const auto& t : transitions)
        if (t.event == "REROUTE" && t.atMs <= atMs) inUse = t.to == "none" ? "" : t.to;
    return inUse;
}

FaultFinding analyzeFault(const ChaosRun& run, std::size_t index) {
    const FaultRecord& f = run.faults[index];
    const int64_t until = nextFaultOnTarget(run, index);
    FaultFinding x;
    if (auto down = firstTransition(run.transitions, f.target, "DOWN", f.atMs, until))
        x.detectionMs = down->atMs - f.atMs;
    std::optional<Transition> up;
    if (f.recoverAtMs > 0) up = firstTransition(run.transitions, f.target, "UP", f.recoverAtMs, until);
    if (up) x.upAfterRecoveryMs = up->atMs - f.recoverAtMs;
    // Only a replica in use can be rerouted away from; and only until it is back in service, since
    // afterwards the gateway may leave it again for reasons of its own (say, lag behind the head).
    x.inUse = replicaInUse(run.transitions, f.atMs) == f.target;
    const int64_t effectEnd = up ? up->atMs : until;
    if (f.role == Role::Command) {
        // The leader is always in use; its "reroute" is the first other command node taking the lead.
        x.inUse = true;
        for (const auto& t : run.transitions)
            if (t.event == "LEADER" && t.node != f.target && t.atMs >= f.atMs) {
                x.rerouteMs = t.atMs - f.atMs;
                x.rerouteTo = t.node;
                break;
            }
        return x;
    }
    if (x.inUse)
        if (auto away = firstTransition(run.transitions, f.target, "REROUTE", f.atMs, effectEnd)) {
            x.rerouteMs = away->atMs - f.atMs;
            x.rerouteTo = away->to;
        }
    return x;
}

bool passed(const ChaosRun& run) {
    return run.queries.failed == 0 && run.convergence.lost == 0 && run.convergence.converged();
}

Doc reportJson(const ChaosRun& run, const ChaosOptions& options) {
    Doc faultKinds = Doc::array();
    for (auto k : options.faults) faultKinds.push_back(std::string(faultKindName(k)));
    const auto cmdLat = commandLatencies(run);
    Doc faults = Doc::array();
    for (std::size_t i = 0; i < run.faults.size(); ++i) {
        const auto& f = run.faults[i];
        const auto x = analyzeFault(run, i);
        faults.push_back({{"label", f.label()},
                          {"kind", std::string(faultKindName(f.kind))},
                          {"target", f.target},
                          {"at", formatUtcMs(f.atMs)},
                          {"at_ms", f.atMs - run.startMs},
                          {"recover_at_ms", f.recoverAtMs ? Doc(f.recoverAtMs - run.startMs) : Doc(nullptr)},
                          {"recovered_ms", f.recoveredMs ? Doc(f.recoveredMs - run.startMs) : Doc(nullptr)},
                          {"lasted_ms", f.recoveredMs ? Doc(f.recoveredMs - f.atMs) : Doc(nullptr)},
                          {"detection_ms", optionalMs(x.detectionMs)},
                          {"in_use", x.inUse},
                          {"reroute_ms", optionalMs(x.rerouteMs)},
                          {"reroute_to", x.rerouteTo},
                          {"up_after_recovery_ms", optionalMs(x.upAfterRecoveryMs)},
                          {"problem", f.problem}});
    }
    const auto& q = run.queries;
    const auto& c = run.commands;
    const auto& v = run.convergence;
    const auto rr = reroutes(run);
    return Doc{{"seed", options.seed},
               {"duration_ms", options.duration.count()},
               {"every_ms", options.every.count()},
               {"faults_enabled", faultKinds},
               {"cluster_dir", run.clusterDir.string()},
               {"cluster_started_by_chaos", run.ownedCluster},
               {"started_at", formatUtcMs(run.startMs)},
               {"run_ms", run.endMs - run.startMs},
               {"total_queries", q.ok + q.failed},
               {"ok_queries", q.ok},
               {"failed_queries", q.failed},
               {"availability_pct", availabilityPct(run)},
               {"queries",
                {{"clients", run.queryClients},
                 {"p50_us", q.percentileUs(0.50)},
                 {"p99_us", q.percentileUs(0.99)},
                 {"max_us", q.maxUs()},
                 {"longest_gap_us", q.longestGapUs()},
                 {"served_by", q.servedBy},
                 {"answered_by", q.answeredBy},
                 {"client_failovers", q.failovers},
                 {"errors", q.errors}}},
               {"acknowledged_commands", c.acked},
               {"lost_commands", v.lost},
               {"commands",
                {{"acknowledged", c.acked},
                 {"lost", v.lost},
                 {"applied_twice", v.appliedTwice},
                 {"unresolved", c.unresolved},
                 {"resends", c.resends},
                 {"client_failovers", c.failovers},
                 {"duplicate_acks", c.duplicates},
                 {"max_seq", c.maxSeq},
                 {"product", run.product},
                 {"p50_us", percentile(cmdLat, 0.50)},
                 {"p99_us", percentile(cmdLat, 0.99)},
                 {"max_us", percentile(cmdLat, 1.0)},
                 {"errors", c.errors}}},
               {"faults", faults},
               {"gateway_reroutes", {{"total", rr.total}, {"behind_the_head", rr.lag}, {"fail_back", rr.failBack}}},
               {"notes", run.notes},
               {"converged", v.converged()},
               {"convergence",
                {{"digests_agree", v.verified},
                 {"verify", v.verify},
                 {"verify_error", v.verifyError},
                 {"probe_stock", v.stock},
                 {"exactly_once", v.exactlyOnce}}},
               {"passed", passed(run)}};
}

std::string reportText(const ChaosRun& run, const ChaosOptions& options) {
    std::string kinds;
    for (auto k : options.faults) kinds += (kinds.empty() ? "" : ", ") + std::string(faultKindName(k));
    std::string out = fmt::format(
        "jupiter-chaos: {:.1f} s of faults ({} every ~{:.1f} s, seed {}) on the cluster in {}{}\n\n",
        static_cast<double>(options.duration.count()) / 1000.0, kinds,
        static_cast<double>(options.every.count()) / 1000.0, options.seed, run.clusterDir.string(),
        run.ownedCluster ? " (started for this run)" : "");

    const auto& q = run.queries;
    out += fmt::format("queries      {} clients through the gateways for {:.1f} s ({} moves of a client to "
                       "another gateway)\n",
                       run.queryClients, static_cast<double>(run.endMs - run.startMs) / 1000.0, q.failovers);
    out += fmt::format("             availability {:.3f} %: {} ok, {} failed of {}\n", availabilityPct(run), q.ok,
                       q.failed, q.ok + q.failed);
    out += fmt::format("             latency p50 {}, p99 {}, max {}; longest gap between successful replies {}\n",
                       human(q.percentileUs(0.50)), human(q.percentileUs(0.99)), human(q.maxUs()),
                       human(q.longestGapUs()));
    std::string served;
    for (const auto& [node, n] : q.servedBy) served += fmt::format("{}{} {}", served.empty() ? "" : ", ", node, n);
    out += fmt::format("             served by {}\n", served.empty() ? "nobody" : served);
    for (const auto& e : q.errors) out += fmt::format("             error: {}\n", e);

    const auto& c = run.commands;
    const auto& v = run.convergence;
    const auto cmdLat = commandLatencies(run);
    out += fmt::format("commands     {} acknowledged, {} lost, {} applied twice, {} unresolved; {} resends ({} "
                       "answered as already applied)\n",
                       c.acked, v.lost, v.appliedTwice, c.unresolved, c.resends, c.duplicates);
    out += fmt::format("             acknowledgement latency p50 {}, p99 {}, max {}\n", human(percentile(cmdLat, 0.5)),
                       human(percentile(cmdLat, 0.99)), human(percentile(cmdLat, 1.0)));

    out += fmt::format("\nfaults ({})\n", run.faults.size());
    // The fault column is as wide as its longest label ("partition query-2 from the gateways").
    std::size_t width = 24;
    for (const auto& f : run.faults) width = std::max(width, f.label().size());
    out += fmt::format("  {:<9} {:<{}} {:<9} {:<10} {:<22} {}\n", "at", "fault", width, "lasted", "detected", "rerouted",
                       "UP again after recovery");
    for (std::size_t i = 0; i < run.faults.size(); ++i) {
        const auto& f = run.faults[i];
        const auto x = analyzeFault(run, i);
        out += fmt::format("  {:<9} {:<{}} {:<9} {:<10} {:<22} {}\n",
                           fmt::format("+{:.2f} s", static_cast<double>(f.atMs - run.startMs) / 1000.0), f.label(), width,
                           f.recoveredMs ? humanMs(f.recoveredMs - f.atMs) : "-",
                           x.detectionMs ? humanMs(*x.detectionMs) : "not seen", rerouteText(x),
                           x.upAfterRecoveryMs ? humanMs(*x.upAfterRecoveryMs) : "not seen");
        if (!f.problem.empty()) out += fmt::format("            problem: {}\n", f.problem);
    }
    out += "  (detected: first monitor DOWN line after the signal or the cut; rerouted: first gateway REROUTE away from it, or for "
           "the leader, the first LEADER line of another command node)\n";
    const auto rr = reroutes(run);
    out += fmt::format("  the first gateway changed replica {} times during the run: {} because the one in use fell behind "
                       "the head, {} fail-backs\n",
                       rr.total, rr.lag, rr.failBack);
    for (const auto& n : run.notes) out += fmt::format("  note: {}\n", n);

    out += "\nconvergence  ";
    if (!v.verifyError.empty()) out += fmt::format("could not verify: {}\n", v.verifyError);
    else if (v.verified)
        out += fmt::format("the write model and every replica agree at seq {}\n", v.verify.value("seq", uint64_t{0}));
    else {
        out += "the replicas DIFFER from the write model\n";
        for (const auto& d : v.verify.value("differences", Doc::array())) out += "             " + d.dump() + "\n";
    }
    std::string stocks;
    for (const auto& [node, s] : v.stock) stocks += fmt::format("{}{} {}", stocks.empty() ? "" : ", ", node, s);
    out += fmt::format("             probe product {} stock: {} (acknowledged {}): {}\n", run.product, stocks, c.acked,
                       v.exactlyOnce ? "every acknowledged command exactly once" : "NOT exactly once");
    out += fmt::format("verdict      {}: {} failed queries, {} lost commands, {}\n", passed(run) ? "PASS" : "FAIL",
                       q.failed, v.lost, v.converged() ? "converged" : "NOT converged");
    return out;
}

std::string transitionsDuringRun(const ChaosRun& run) {
    std::string out;
    for (const auto& t : run.transitions)
        if (t.atMs >= run.startMs && t.atMs <= run.endMs) out += t.line + "\n";
    return out;
}

}  // namespace jupiter::chaos
