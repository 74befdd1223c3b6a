// Fault injection and recovery; see fault_injector.hpp.
#include "chaos/fault_injector.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <thread>

#include <fmt/format.h>

#include "chaos/transitions.hpp"
#include "cli/processes.hpp"
#include "netlab/lab.hpp"

namespace jupiter::chaos {
namespace {

using Steady = std::chrono::steady_clock;

constexpr Millis kMinHold{1000};
constexpr Millis kMaxHold{3000};
constexpr Millis kExitTimeout{10000};

// `jupiter start NODE --dir DIR`, quietly, in a process group of its own. Not system(): system()
// ignores SIGINT in the caller while the child runs, which would swallow the user's Ctrl-C, and a
// terminal's Ctrl-C must not reach a half-done `jupiter start` either. Returns its exit code.
int startWithCli(const Config& config, const std::string& node) {
    const std::string exe = (bench::binDir() / "jupiter").string();
    const std::string dir = config.source.parent_path().string();
    std::vector<std::string> args = {exe, "start", node, "--dir", dir};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&files, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, exe.c_str(), &files, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&files);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) return -1;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

std::string FaultRecord::label() const {
    return fmt::format("{} {}{}{}", faultKindName(kind), target, scope.empty() ? "" : " ", scope);
}

FaultInjector::FaultInjector(const bench::ClusterControl& cluster, const ChaosOptions& options)
    : cluster_(cluster), options_(options), rng_(options.seed) {
    for (Role role : {Role::Query, Role::Gateway, Role::Broker, Role::Command})
        for (const auto* n : cluster.config().nodesWith(role)) nodes_[role].push_back(n->name);
}

FaultInjector::~FaultInjector() {
    for (const auto& a : active_) {
        try {
            recover(a);
        } catch (...) {
            // A destructor must not throw; the report already names what was not recovered.
        }
    }
}

// Doubles from the generator's raw bits rather than std::uniform_real_distribution, whose output
// differs between standard libraries: the same seed must give the same schedule everywhere.
double FaultInjector::draw() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

Millis FaultInjector::drawGap() {
    const double every = static_cast<double>(options_.every.count());
    return Millis(static_cast<int64_t>(every * (0.6 + 0.8 * draw())));
}

void FaultInjector::run(TimePoint until, const std::atomic<bool>& stop) {
    TimePoint next = Steady::now() + drawGap();
    while (true) {
        const TimePoint now = Steady::now();
        const bool ending = now >= until || stop.load();
        // Recover in due order; at the end, everything at once.
        for (std::size_t i = 0; i < active_.size();) {
            if (ending || now >= active_[i].due) {
                const Active a = active_[i];
                active_.erase(active_.begin() + static_cast<std::ptrdiff_t>(i));
                recover(a);
            } else {
                ++i;
            }
        }
        if (ending) return;
        if (now >= next) {
            injectNext(until);
            next += drawGap();
        }
        TimePoint wake = std::min(next, until);
        for (const auto& a : active_) wake = std::min(wake, a.due);
        std::this_thread::sleep_for(std::clamp(std::chrono::duration_cast<Millis>(wake - Steady::now()), Millis(1),
                                               Millis(50)));
    }
}

std::string FaultInjector::chooseTarget(Role role, std::size_t first) const {
    const auto& candidates = nodes_.at(role);
    if (role == Role::Command) {
        // The leader, as the monitor last logged it, and only while every standby is in service:
        // with one of them down too, the last one could not take over alone (it might lack an
        // acknowledged command), so commands would stop until one returns.
        const std::string leader = currentLeader();
        bool othersHealthy = candidates.size() > 1 && !leader.empty();
        for (const auto& other : candidates)
            if (other != leader && !healthy(other)) othersHealthy = false;
        return othersHealthy && healthy(leader) ? leader : "";
    }
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        const std::string& candidate = candidates[(first + i) % candidates.size()];
        // Only a node back in service is disturbed again, so each fault meets a working node and its
        // detection, reroute and return can be told apart from the previous one's.
        if (!healthy(candidate)) continue;
        for (const auto& other : candidates)
            if (other != candidate && healthy(other)) return candidate;
    }
    return "";
}

void FaultInjector::injectNext(TimePoint until) {
    // Every draw is made whatever happens next, so one skipped fault does not shift the rest of the
    // schedule: the same seed gives the same times, kinds and first-choice targets.
    const auto kind = options_.faults[std::min(options_.faults.size() - 1,
                                               static_cast<std::size_t>(draw() * static_cast<double>(options_.faults.size())))];
    // A partition also draws what it cuts (only a partition, so the other kinds' schedules stay).
    std::optional<PartitionScope> scope;
    if (kind == FaultKind::Partition) {
        std::vector<PartitionScope> scopes;
        for (const auto& sc : partitionScopes())
            if (sc.role != Role::Command || cluster_.config().replicated()) scopes.push_back(sc);
        scope = scopes[std::min(scopes.size() - 1, static_cast<std::size_t>(draw() * static_cast<double>(scopes.size())))];
    }
    const Role role = scope ? scope->role : faultRole(kind);
    const auto& candidates = nodes_[role];
    const auto first = static_cast<std::size_t>(draw() * static_cast<double>(std::max<std::size_t>(1, candidates.size())));
    const Millis hold = kMinHold + Millis(static_cast<int64_t>(draw() * static_cast<double>((kMaxHold - kMinHold).count())));
    const TimePoint now = Steady::now();
    // Too close to the end to hold it and see the monitor react: the run's last moments stay calm.
    if (now + kMinHold > until) return;

    const std::string target = chooseTarget(role, first);
    const pid_t pid =
        target.empty() || scope ? 0 : cli::lockedPid(cluster_.config().pidFile(target)).value_or(0);
    if (target.empty() || (!scope && pid <= 0)) {
        notes_.push_back(fmt::format("{}: a {} was skipped: {}", formatUtcMs(SystemClock().wallMs()),
                                     faultKindName(kind),
                                     target.empty() ? (role == Role::Command
                                                           ? std::string("no command node leads with every standby UP")
                                                           : fmt::format("no {} was UP with another UP beside it",
                                                                         roleName(role)))
                                                    : target + " has no running process"));
        return;
    }

    FaultRecord f;
    f.kind = kind;
    f.target = target;
    f.role = role;
    f.atMs = SystemClock().wallMs();
    if (scope) {
        cut(f, *scope);
        faults_.push_back(f);
        active_.push_back({faults_.size() - 1, Steady::now() + hold, 0});
        return;
    }
    const auto pidFile = cluster_.config().pidFile(target);
    if (isStopFault(kind)) {
        kill(pid, SIGSTOP);
    } else if (kind == FaultKind::Restart) {
        kill(pid, SIGTERM);
        if (!cli::waitForExit(pid, pidFile, kExitTimeout)) f.problem = "did not exit within 10 s of SIGTERM";
    } else {
        kill(pid, SIGKILL);
        if (!cli::waitForExit(pid, pidFile, kExitTimeout)) f.problem = "did not exit after SIGKILL";
    }
    faults_.push_back(f);
    const Active a{faults_.size() - 1, Steady::now() + hold, pid};
    // A restart is recovered at once: the time to come back is the fault.
    if (kind == FaultKind::Restart) recover(a);
    else active_.push_back(a);
}

void FaultInjector::cut(FaultRecord& f, const PartitionScope& scope) {
    f.scope = scope.label;
    const auto peers = netlab::expandMembers(cluster_.config(), scope.from, f.target);
    const Status s = peers.empty() ? netlab::isolate(cluster_.config(), f.target)
                                   : netlab::block(cluster_.config(), f.target, peers);
    if (!s) f.problem = s.error().message;
}

void FaultInjector::recover(const Active& a) {
    FaultRecord& f = faults_[a.record];
    f.recoverAtMs = SystemClock().wallMs();
    if (f.kind == FaultKind::Partition) {
        if (auto s = netlab::heal(cluster_.config(), f.target); !s)
            f.problem += (f.problem.empty() ? "" : "; ") + s.error().message;
    } else if (isStopFault(f.kind)) {
        // The pid we stopped cannot have exited meanwhile (a stopped process runs nothing), so it
        // is still that node's daemon.
        kill(a.pid, SIGCONT);
    } else {
        startNode(f.target, f.problem);
    }
    f.recoveredMs = SystemClock().wallMs();
}

bool FaultInjector::startNode(const std::string& node, std::string& problem) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (startWithCli(cluster_.config(), node) == 0) return true;
        std::this_thread::sleep_for(Millis(500));
    }
    problem += (problem.empty() ? "" : "; ") + fmt::format("`jupiter start {}` failed twice (see {})", node,
                                                          cluster_.config().logFile(node).string());
    return false;
}

std::string FaultInjector::currentLeader() const {
    const auto all = readTransitions(cluster_.config().transitionLog());
    for (auto it = all.rbegin(); it != all.rend(); ++it)
        if (it->event == "LEADER") return it->node;
    return "";
}

bool FaultInjector::healthy(const std::string& node) const {
    for (const auto& a : active_)
        if (faults_[a.record].target == node) return false;
    const auto all = readTransitions(cluster_.config().transitionLog());
    for (auto it = all.rbegin(); it != all.rend(); ++it)
        if (it->node == node && (it->event == "UP" || it->event == "DOWN")) return it->event == "UP";
    return true;  // never reported on: the monitor has not judged it, so trust the cluster being up
}

}  // namespace jupiter::chaos
