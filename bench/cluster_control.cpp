// Cluster control for benchmarks; see cluster_control.hpp.
#include "bench/cluster_control.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "common/paths.hpp"
#include "common/ports.hpp"

namespace jupiter::bench {

std::filesystem::path binDir() { return std::filesystem::read_symlink("/proc/self/exe").parent_path(); }

ClusterControl::ClusterControl(std::filesystem::path dir, bool start, const ClusterSpec& spec)
    : dir_(std::move(dir)), owned_(start) {
    if (start) {
        Layout layout;
        layout.queries = spec.replicas;
        layout.commands = spec.commands;
        const int base = findFreePortRange(portsUsed(layout));
        if (spec.security == SecurityMode::None || !spec.durable || !spec.signEvents) {
            // A baseline: the default configuration with mode "none" (loopback only), sync "async"
            // or unsigned events.
            std::string toml = defaultConfigToml(dir_, base, layout);
            auto set = [&toml](const std::string& from, const std::string& to) {
                const auto at = toml.find(from);
                if (at == std::string::npos) throw std::logic_error("the default configuration lacks " + from);
                toml.replace(at, from.size(), to);
            };
            if (spec.security == SecurityMode::None) set("mode = \"curve\"", "mode = \"none\"");
            if (!spec.durable) set("sync = \"durable\"", "sync = \"async\"");
            if (!spec.signEvents) set("sign_events = true", "sign_events = false");
            std::filesystem::create_directories(dir_);
            std::filesystem::permissions(dir_, std::filesystem::perms::owner_all);  // daemons refuse an open one
            std::ofstream(clusterConfigPath(dir_)) << toml;
        }
        if (cli(fmt::format("up --base-port {} --replicas {} --commands {}{}", base, spec.replicas, spec.commands,
                            spec.netns ? " --netns" : ""),
                true) != 0)
            throw std::runtime_error("could not start a cluster in " + dir_.string());
    }
    auto c = loadConfig(clusterConfigPath(dir_));
    if (!c) throw std::runtime_error(c.error().message);
    config_ = std::move(c.value());
    auto cr = Credentials::forClient(config_, "");
    if (!cr) throw std::runtime_error(cr.error().message);
    credentials_ = std::move(cr.value());
}

ClusterControl::~ClusterControl() {
    if (owned_) {
        cli("down");
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
}

int ClusterControl::cli(const std::string& args, bool verbose) const {
    const std::string cmd = fmt::format("'{}' {} --dir '{}'{}", (binDir() / "jupiter").string(), args, dir_.string(),
                                        verbose ? "" : " >/dev/null 2>&1");
    const int rc = std::system(cmd.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

int ClusterControl::pid(const std::string& node) const {
    std::ifstream in(config_.pidFile(node));
    int p = 0;
    in >> p;
    return p;
}

void ClusterControl::signalAll(int sig) const {
    for (const auto& n : config_.nodes)
        if (const int p = pid(n.name); p > 0) kill(p, sig);
}

long ClusterControl::rssKiB(const std::string& node) const {
    const int p = pid(node);
    if (p <= 0) return 0;
    std::ifstream in(fmt::format("/proc/{}/status", p));
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    return 0;
}

double ClusterControl::cpuSeconds(const std::string& node) const {
    const int p = pid(node);
    if (p <= 0) return 0;
    std::ifstream in(fmt::format("/proc/{}/stat", p));
    std::string stat;
    std::getline(in, stat);
    // Fields after the command name (which may hold spaces, so start after its closing paren):
    // state is field 3; utime and stime are fields 14 and 15, in clock ticks.
    const auto paren = stat.rfind(')');
    if (paren == std::string::npos) return 0;
    std::istringstream fields(stat.substr(paren + 2));
    std::string skip;
    for (int i = 3; i < 14; ++i) fields >> skip;
    unsigned long long utime = 0, stime = 0;
    fields >> utime >> stime;
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace jupiter::bench
