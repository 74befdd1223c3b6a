// Integration test harness; see cluster.hpp.
#include "cluster.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include <doctest/doctest.h>
#include "security/certificate.hpp"
#include "common/paths.hpp"
#include "common/ports.hpp"
#include "tests/text.hpp"
#include "failure_logs.hpp"
#include <fmt/format.h>

namespace jupiter::testing {
CliResult runCli(const std::string& args, const std::vector<std::string>& env) {
    std::string cmd;
    for (const auto& e : env) cmd += e + " ";
    return runShell(cmd + std::string(JUPITER_BIN_DIR) + "/jupiter " + args);
}

CliResult runShell(const std::string& command) {
    const std::string cmd = command + " 2>&1";
    CliResult r;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return r;
    std::array<char, 4096> buf{};
    std::size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
    const int status = pclose(p);
    r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

namespace {
// A cluster folder as a careful user makes one (mkdir -m 700): daemons refuse one others can open.
void makePrivateDir(const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
}
}  // namespace

Layout lean() {
    Layout l;
    l.commands = 1;
    return l;
}

int findFreeBasePort(const Layout& layout) {
    const int base = findFreePortRange(portsUsed(layout));
    if (base == 0) FAIL("no free range of loopback ports found");
    return base;
}

std::string labUnavailable() {
    if (geteuid() != 0) return "a lab network needs root (network namespaces, a bridge, routes)";
    if (access("/usr/sbin/ip", X_OK) != 0) return "a lab network needs iproute2's /usr/sbin/ip";
    return "";
}

Cluster::Cluster(const Layout& layout, const std::function<std::string(std::string)>& edit, bool netns)
    : failedBefore_(failedChecks()) {
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("jupiter-it-{}-{}", getpid(), std::random_device{}());
    makePrivateDir(dir_);
    const Layout usual;
    const bool plain = !edit && layout.brokers == usual.brokers &&
                       layout.monitors == usual.monitors && layout.gateways == usual.gateways;
    CliResult up;
    for (int attempt = 0; attempt < 3; ++attempt) {
        const int base = findFreeBasePort(layout);
        if (netns) {
            up = cli(fmt::format("up --netns --base-port {} --replicas {} --commands {} --gateways {} --brokers {}", base,
                                 layout.queries, layout.commands, layout.gateways, layout.brokers));
        } else if (plain) {
            up = cli(fmt::format("up --base-port {} --replicas {} --commands {}", base, layout.queries,
                                 layout.commands));
        } else {
            const std::string toml = defaultConfigToml(dir_, base, layout);
            std::ofstream(clusterConfigPath(dir_)) << (edit ? edit(toml) : toml);
            up = cli("up");
        }
        if (up.exitCode == 0) break;
        // A port taken between the check and the bind: tear down and try another range.
        cli("down");
        std::filesystem::remove_all(dir_);
        makePrivateDir(dir_);
    }
    INFO(up.output);
    REQUIRE(up.exitCode == 0);
    auto cfg = loadConfig(clusterConfigPath(dir_));
    REQUIRE(cfg.ok());
    config_ = std::move(cfg.value());
    credentials_ = keysOf("admin");
}

Credentials Cluster::keysOf(const std::string& name) const {
    auto cr = Credentials::forClient(config_, secretCertificatePath(config_.keysDir, name).string());
    INFO((cr ? std::string() : cr.error().message));
    REQUIRE(cr.ok());
    return std::move(cr.value());
}

Cluster::~Cluster() {
    // etcd's own stop takes about 2 s a member (`down` gives it 1.5 s, then SIGKILL); its log is
    // crash-safe and this cluster is thrown away, so the harness kills the members at once.
    if (config_.etcd.local)
        for (std::size_t i = 1; i <= config_.etcd.endpoints.size(); ++i)
            if (int p = pid(fmt::format("etcd-{}", i)); p > 0) kill(p, SIGKILL);
    cli("down");
    for (const auto& n : config_.nodes)
        if (int p = pid(n.name); p > 0) kill(p, SIGKILL);
    // With nothing left running, `down` removes the lab network if the first one could not.
    if (config_.netlab.enabled()) cli("down");
    if (failedChecks() > failedBefore_) printLogTails();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

CliResult Cluster::cli(const std::string& args) const {
    return runCli(args, {"JUPITER_DIR=" + dir_.string()});
}

std::vector<std::string> Cluster::gateways() const { return config_.endpointsOf(Role::Gateway); }

Result<Envelope> Cluster::send(const std::string& name, Doc body, const std::string& id) {
    FailoverClient c(ctx_, credentials_, gateways());
    return c.call(makeRequest(Kind::Command, name, std::move(body), id), Millis(15000));
}

Result<Envelope> Cluster::query(const std::string& name, Doc body, int replica, uint64_t minSeq) {
    FailoverClient c(ctx_, credentials_,
                     replica > 0 ? std::vector<std::string>{config_.nodesWith(Role::Query)
                                                                .at(static_cast<std::size_t>(replica - 1))
                                                                ->endpoint}
                                 : gateways());
    Envelope q = makeRequest(Kind::Query, name, std::move(body));
    if (minSeq) q.minSeq = minSeq;
    return c.call(q, Millis(10000));
}

std::vector<std::string> Cluster::replicas() const {
    std::vector<std::string> out;
    for (const auto* n : config_.nodesWith(Role::Query)) out.push_back(n->name);
    return out;
}

int Cluster::pid(const std::string& node) const {
    std::ifstream in(config_.pidFile(node));
    int p = 0;
    in >> p;
    return p;
}

void Cluster::printLogTails() const {
    static constexpr std::size_t kLines = 40;
    auto tail = [](const std::string& title, const std::vector<std::string>& lines) {
        std::cerr << "---- " << title << " (last " << std::min(kLines, lines.size()) << " of " << lines.size()
                  << " lines) ----\n";
        for (std::size_t i = lines.size() > kLines ? lines.size() - kLines : 0; i < lines.size(); ++i)
            std::cerr << lines[i] << '\n';
    };
    std::cerr << "==== a check failed while this cluster ran (" << dir_.string() << "): its logs' ends ====\n";
    for (const auto& n : config_.nodes) tail(n.name, logLines(n.name));
    tail("transitions", transitions());
}

std::vector<std::string> Cluster::logLines(const std::string& node) const { return readLines(config_.logFile(node)); }

std::vector<std::string> Cluster::transitions() const { return readLines(config_.transitionLog()); }

bool Cluster::waitFor(const std::function<bool()>& cond, Millis timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (cond()) return true;
        std::this_thread::sleep_for(Millis(20));
    }
    return cond();
}

}  // namespace jupiter::testing
