// Daemon start-up; see daemon.hpp.
#include "node/daemon.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "common/event_loop.hpp"
#include "common/heap.hpp"
#include "common/log_file.hpp"
#include "common/paths.hpp"
#include "security/private_files.hpp"

namespace jupiter {
namespace {

// Takes the pidfile's lock and writes our pid; returns the fd (kept open for the process's life)
// or -1 with `err` set when another live process holds it.
int lockPidFile(const std::filesystem::path& path, std::string& err) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        err = fmt::format("cannot open pidfile {}: {}", path.string(), std::strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char buf[32] = {};
        auto n = pread(fd, buf, sizeof buf - 1, 0);
        err = fmt::format("already running (pid {}, pidfile {}); stop it first with `jupiter down` or kill it",
                          n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "?", path.string());
        close(fd);
        return -1;
    }
    if (ftruncate(fd, 0) != 0) { /* best effort */ }
    auto pid = std::to_string(getpid());
    if (pwrite(fd, pid.data(), pid.size(), 0) < 0) { /* best effort */ }
    return fd;
}

void detach() {
    if (fork() > 0) _exit(0);
    setsid();
    if (fork() > 0) _exit(0);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
}

// The node this daemon runs as: --node NAME, or the only node of its role.
Result<const NodeConfig*> pickNode(const Config& config, Role role, const std::string& name) {
    const auto candidates = config.nodesWith(role);
    std::string names;
    for (const auto* n : candidates) names += (names.empty() ? "" : ", ") + n->name;
    if (name.empty()) {
        if (candidates.size() == 1) return candidates.front();
        return makeError("config", fmt::format("the configuration has {} {} nodes ({}); say which with --node NAME",
                                               candidates.size(), roleName(role), names));
    }
    const NodeConfig* n = config.node(name);
    if (!n)
        return makeError("config", fmt::format("the configuration has no node {} (its {} nodes: {})", name,
                                               roleName(role), names));
    if (n->role != role)
        return makeError("config", fmt::format("node {} has role {}, not {}: start it with jupiter-{}", name,
                                               roleName(n->role), roleName(role), roleName(n->role)));
    return n;
}

// Raises the soft limit on open files to the hard limit (every peer connection is a descriptor);
// returns the limit now in force.
rlim_t raiseOpenFileLimit() {
    struct rlimit rl {};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur;
}

}  // namespace

std::shared_ptr<spdlog::logger> makeLogger(const std::string& node, const std::string& file) {
    std::shared_ptr<spdlog::logger> log;
    if (file.empty())
        log = std::make_shared<spdlog::logger>(node, std::make_shared<spdlog::sinks::stderr_sink_mt>());
    else
        log = std::make_shared<spdlog::logger>(node, std::make_shared<spdlog::sinks::basic_file_sink_mt>(file));
    log->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ [%n] %l: %v", spdlog::pattern_time_type::utc);
    log->flush_on(spdlog::level::info);
    return log;
}

int runDaemon(int argc, char** argv, Role role, const std::function<int(DaemonContext&)>& body) {
    const std::string program = fmt::format("jupiter-{}", roleName(role));
    createPrivateFiles();  // RocksDB files, logs, pidfiles: the owner's alone
    CLI::App app{fmt::format("Jupiter {} daemon", roleName(role))};
    std::string configFile, dir, nodeName, logLevel = "info";
    bool daemon = false, logToFile = false;
    app.add_option("--config", configFile, "cluster configuration (TOML); default: the embedded one in --dir");
    app.add_option("--dir", dir, "cluster folder when no --config is given (default: $JUPITER_DIR, else "
                                 "./jupiter-data)");
    app.add_option("--node", nodeName, "which node of the configuration this is (needed when it has several of "
                                       "this role)");
    app.add_flag("--daemon", daemon, "detach and log to the log file (LOGS_DIR/NODE.log)");
    app.add_flag("--log-to-file", logToFile, "stay in the foreground but log to the log file (LOGS_DIR/NODE.log), as "
                                             "under systemd; SIGHUP reopens it either way (logrotate)");
    app.add_option("--log-level", logLevel, "trace, debug, info, warn or error")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }

    Result<Config> cfg = configFile.empty()
                             ? parseConfig(defaultConfigToml(resolveClusterDir(dir), kDefaultBasePort), "")
                             : loadConfig(configFile);
    if (!cfg) {
        std::cerr << fmt::format("{}: {}\n", program, cfg.error().message);
        return kExitBadSetup;
    }
    DaemonContext ctx{std::move(cfg.value()), nullptr, nullptr, Credentials::none(), nullptr};
    auto picked = pickNode(ctx.config, role, nodeName);
    if (!picked) {
        std::cerr << fmt::format("{}: {}\n", program, picked.error().message);
        return kExitBadSetup;
    }
    ctx.node = *picked;
    nodeName = ctx.node->name;
    // Keys are checked before detaching, so that `jupiter start` sees a refusal (a missing key, a
    // secret file others can read) on its terminal.
    auto credentials = Credentials::forNode(ctx.config, *ctx.node);
    if (!credentials) {
        std::cerr << fmt::format("jupiter-{}: {}\n", nodeName, credentials.error().message);
        return kExitBadSetup;
    }
    ctx.credentials = std::move(*credentials);
    std::error_code ec;
    std::filesystem::create_directories(ctx.config.dir, ec);
    if (ec) {
        std::cerr << fmt::format("jupiter-{}: cannot create data directory {}: {} (check the path's permissions)\n",
                                 nodeName, ctx.config.dir.string(), ec.message());
        return kExitBadSetup;
    }
    if (auto s = checkPrivateFolder(ctx.config.dir, "data folder"); !s) {
        std::cerr << fmt::format("jupiter-{}: {}\n", nodeName, s.error().message);
        return kExitBadSetup;
    }
    if (logToFile || daemon) {
        // Opened before detaching, so that a log folder it cannot write is refused on the terminal.
        if (auto s = redirectOutputTo(ctx.config.logFile(nodeName)); !s) {
            std::cerr << fmt::format("jupiter-{}: {}\n", nodeName, s.error().message);
            return kExitBadSetup;
        }
        if (daemon) detach();
    }
    std::string err;
    int pidFd = lockPidFile(ctx.config.pidFile(nodeName), err);
    if (pidFd < 0) {
        std::cerr << fmt::format("jupiter-{}: {}\n", nodeName, err);
        return kExitAlreadyRunning;
    }
    blockTerminationSignals();
    HeapTrimmer trimmer(std::chrono::seconds(5));  // after the mask and the fork: its thread inherits both
    ctx.log = makeLogger(nodeName, "");
    // After the signal mask: the exposer's threads inherit it.
    ctx.metrics = std::make_shared<Metrics>(nodeName);
    if (!ctx.node->metrics.empty()) {
        if (auto s = ctx.metrics->serve(ctx.node->metrics); !s) {
            ctx.log->critical("{}", s.error().message);
            close(pidFd);
            return kExitBadSetup;
        }
        ctx.log->info("serving Prometheus metrics at http://{}/metrics", ctx.node->metrics);
    }
    ctx.log->set_level(spdlog::level::from_str(logLevel));
    ctx.log->info("starting (pid {}, config {}, data {}, security {}, open files up to {})", getpid(),
                  ctx.config.source.empty() ? "embedded" : ctx.config.source.string(), ctx.config.dir.string(),
                  ctx.credentials.curve() ? "curve" : "none (loopback only)", raiseOpenFileLimit());
    int rc = 0;
    try {
        rc = body(ctx);
    } catch (const std::exception& e) {
        ctx.log->critical("stopping on an unexpected error: {}", e.what());
        rc = kExitFailed;
    }
    // Everything that holds a port goes before the pidfile's lock: `jupiter kill` reports the node
    // gone once the lock is free, and `jupiter start` right after must find its ports free.
    ctx.metrics->stopServing();
    ctx.log->info("stopped (exit code {})", rc);
    ctx.log->flush();
    std::filesystem::remove(ctx.config.pidFile(nodeName), ec);
    close(pidFd);
    return rc;
}

}  // namespace jupiter
