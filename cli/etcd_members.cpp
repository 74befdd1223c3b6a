// Local etcd members; see etcd_members.hpp.
#include "cli/etcd_members.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include <fmt/format.h>

#include "cli/processes.hpp"
#include "election/etcd_client.hpp"
#include "election/etcd_lock.hpp"
#include "election/etcd_pki.hpp"
#include "netlab/ip_tool.hpp"

namespace jupiter::cli {

std::vector<std::string> localEtcdMembers(const Config& config) {
    std::vector<std::string> out;
    if (!config.etcd.local) return out;
    for (std::size_t i = 0; i < config.etcd.endpoints.size(); ++i) out.push_back(fmt::format("etcd-{}", i + 1));
    return out;
}

namespace {

std::vector<std::string> memberArgs(const Config& config, std::size_t i) {
    const auto names = localEtcdMembers(config);
    std::string cluster;
    for (std::size_t j = 0; j < names.size(); ++j)
        cluster += fmt::format("{}{}={}", j ? "," : "", names[j], config.etcd.peerUrls[j]);
    const auto data = config.dir / "etcd" / names[i];
    // An existing data folder already knows its cluster; "new" is only read the first time.
    // Raft heartbeats every 100 ms, elections after 500 ms without one (etcd requires at least five
    // heartbeats): half the idle cost of 50/300, and the leader's 2 s lease outlives an etcd
    // election (at most two timeouts) with its renewals' margin to spare.
    std::vector<std::string> args = {
        "etcd", "--name", names[i], "--data-dir", data.string(),
        "--listen-client-urls", config.etcd.endpoints[i], "--advertise-client-urls", config.etcd.endpoints[i],
        "--listen-peer-urls", config.etcd.peerUrls[i], "--initial-advertise-peer-urls", config.etcd.peerUrls[i],
        "--initial-cluster", cluster, "--initial-cluster-state", "new",
        "--initial-cluster-token", "jupiter-" + std::to_string(std::hash<std::string>{}(config.dir.string())),
        "--heartbeat-interval", "100", "--election-timeout", "500", "--log-level", "warn"};
    if (config.etcd.tls()) {
        // Clients and members alike must present a certificate of the cluster's CA. The passwords
        // are long random strings, so bcrypt's cost adds no strength: its least keeps logins quick.
        const EtcdFiles f = etcdFilesIn(config.keysDir);
        for (std::string side : {"", "peer-"}) {
            args.insert(args.end(), {"--" + side + "cert-file", f.member.string(), "--" + side + "key-file",
                                     f.memberKey.string(), "--" + side + "trusted-ca-file", f.ca.string(),
                                     "--" + side + "client-cert-auth"});
        }
        args.insert(args.end(), {"--bcrypt-cost", "4"});
    }
    return args;
}

// Forks twice so the member is nobody's child; the grandchild takes the pidfile's lock (kept across
// exec: the fd is not close-on-exec) and becomes etcd.
Status spawn(const Config& config, std::size_t i) {
    const auto names = localEtcdMembers(config);
    const auto pidFile = config.pidFile(names[i]);
    const auto logFile = config.logFile(names[i]);
    std::error_code ec;
    std::filesystem::create_directories(pidFile.parent_path(), ec);
    std::filesystem::create_directories(logFile.parent_path(), ec);
    std::filesystem::create_directories(config.dir / "etcd", ec);
    const auto args = memberArgs(config, i);
    // In a lab network the member runs in its own network namespace.
    int netnsFd = -1;
    if (i < config.etcd.netns.size()) {
        auto fd = netlab::openNetns(config.etcd.netns[i]);
        if (!fd) return fd.error();
        netnsFd = *fd;
    }
    const pid_t child = fork();
    if (child < 0) {
        if (netnsFd >= 0) close(netnsFd);
        return makeError("etcd", fmt::format("cannot fork to start {}: {}", names[i], std::strerror(errno)));
    }
    if (child == 0) {
        setsid();
        if (fork() != 0) _exit(0);
        if (netnsFd >= 0 && netlab::enterNetns(netnsFd) != 0) _exit(126);
        const int pfd = open(pidFile.c_str(), O_RDWR | O_CREAT, 0644);
        if (pfd < 0 || flock(pfd, LOCK_EX | LOCK_NB) != 0) _exit(3);
        if (ftruncate(pfd, 0) != 0) _exit(3);
        const std::string pid = std::to_string(getpid()) + "\n";
        if (write(pfd, pid.data(), pid.size()) < 0) _exit(3);
        const int log = open(logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        const int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (log < 0 || null < 0) _exit(3);
        dup2(null, 0);
        dup2(log, 1);
        dup2(log, 2);
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execvp("etcd", argv.data());
        fmt::print(stderr, "cannot run etcd: {} (install Debian's etcd-server: scripts/setup.sh does)\n",
                   std::strerror(errno));
        _exit(127);
    }
    if (netnsFd >= 0) close(netnsFd);
    int status = 0;
    waitpid(child, &status, 0);
    return Ok{};
}

}  // namespace

Status startEtcdMember(const Config& config, const std::string& name) {
    const auto names = localEtcdMembers(config);
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == name) return lockedPid(config.pidFile(name)) ? Status(Ok{}) : spawn(config, i);
    return makeError("etcd", fmt::format("{} is not a local etcd member of this cluster", name));
}

Status startLocalEtcd(const Config& config, Millis timeout) {
    const auto names = localEtcdMembers(config);
    const EtcdFiles files = etcdFilesIn(config.keysDir);
    if (auto s = ensureEtcdFiles(config); !s) return s;
    // One member at a time, each once it serves its peers: a member starting a new cluster first
    // asks the others whether it exists, and one that listens but does not serve yet keeps it
    // waiting a second (measured: 5 starts in 8 took 2.3 s to answer clients, against 0.5 s).
    const EtcdCredentials peerTls = config.etcd.tls() ? EtcdCredentials{files.ca.string(), files.member.string(),
                                                                         files.memberKey.string(), {}, {}}
                                                      : EtcdCredentials{};
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (lockedPid(config.pidFile(names[i]))) continue;
        if (auto s = spawn(config, i); !s) return s;
        const auto serving = std::chrono::steady_clock::now() + Millis(2000);  // else on without it, as before
        while (!etcdPeerServing(config.etcd.peerUrls[i], peerTls, Millis(200)) &&
               std::chrono::steady_clock::now() < serving)
            std::this_thread::sleep_for(Millis(10));
    }
    // etcd answers once its members have elected their own leader; then it is locked (once).
    auto credentials = config.etcd.tls() ? etcdRootCredentials(config.etcd, files.rootPassword)
                                         : Result<EtcdCredentials>(EtcdCredentials{});
    if (!credentials) return credentials.error();
    EtcdClient etcd(config.etcd.endpoints, Millis(300), *credentials);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    Error last = makeError("etcd", "not asked yet");
    while (std::chrono::steady_clock::now() < deadline) {
        auto r = etcd.get(config.etcd.key);
        if (r) return config.etcd.tls() ? lockEtcd(config.etcd, files.rootPassword, Millis(2000)) : Status(Ok{});
        last = r.error();
        std::this_thread::sleep_for(Millis(100));
    }
    return makeError("etcd", fmt::format("etcd did not answer within {} ms ({}); see {}", timeout.count(),
                                         last.message, config.logFile(names.empty() ? "etcd-1" : names[0]).string()));
}

}  // namespace jupiter::cli
