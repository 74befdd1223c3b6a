// Daemon start-up; see daemon.hpp.
#include "common/daemon.hpp"

#include <fcntl.h>
#include <sys/file.h>
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

void detach(const std::filesystem::path& logFile) {
    if (fork() > 0) _exit(0);
    setsid();
    if (fork() > 0) _exit(0);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    std::error_code ec;
    std::filesystem::create_directories(logFile.parent_path(), ec);
    int log = open(logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log >= 0) {
        dup2(log, STDOUT_FILENO);
        dup2(log, STDERR_FILENO);
    }
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

int runDaemon(int argc, char** argv, const std::string& role, const std::function<int(DaemonContext&)>& body) {
    CLI::App app{fmt::format("Jupiter {} daemon", role)};
    std::string configFile, dir, logLevel = "info";
    int id = 1;
    bool daemon = false;
    app.add_option("--config", configFile, "cluster configuration (TOML); default: the embedded one");
    app.add_option("--dir", dir, "data directory when no --config is given")->envname("JUPITER_DIR");
    if (role == "query") app.add_option("--id", id, "which query node this is (1, 2 or 3)")->check(CLI::Range(1, 3));
    app.add_flag("--daemon", daemon, "detach, write a pidfile and log to the log file");
    app.add_option("--log-level", logLevel, "trace, debug, info, warn or error")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    const std::string nodeName = role == "query" ? fmt::format("query-{}", id) : role;

    Result<Config> cfg = configFile.empty()
                             ? parseConfig(defaultConfigToml(std::filesystem::absolute(dir.empty() ? "jupiter-data" : dir),
                                                             kDefaultBasePort), "")
                             : loadConfig(configFile);
    if (!cfg) {
        std::cerr << fmt::format("jupiter-{}: {}\n", role, cfg.error().message);
        return 2;
    }
    DaemonContext ctx{std::move(cfg.value()), nullptr, nullptr};
    ctx.node = ctx.config.node(nodeName);
    if (!ctx.node) {
        std::cerr << fmt::format("jupiter-{}: the configuration has no node {}\n", role, nodeName);
        return 2;
    }
    std::error_code ec;
    std::filesystem::create_directories(ctx.config.dir, ec);
    if (ec) {
        std::cerr << fmt::format("jupiter-{}: cannot create data directory {}: {} (check the path's permissions)\n",
                                 role, ctx.config.dir.string(), ec.message());
        return 2;
    }
    if (daemon) detach(ctx.config.logFile(nodeName));
    std::string err;
    int pidFd = lockPidFile(ctx.config.pidFile(nodeName), err);
    if (pidFd < 0) {
        std::cerr << fmt::format("jupiter-{}: {}\n", nodeName, err);
        return 3;
    }
    blockTerminationSignals();
    ctx.log = makeLogger(nodeName, "");
    ctx.log->set_level(spdlog::level::from_str(logLevel));
    ctx.log->info("starting (pid {}, config {}, data {})", getpid(),
                  ctx.config.source.empty() ? "embedded" : ctx.config.source.string(), ctx.config.dir.string());
    int rc = 0;
    try {
        rc = body(ctx);
    } catch (const std::exception& e) {
        ctx.log->critical("stopping on an unexpected error: {}", e.what());
        rc = 1;
    }
    ctx.log->info("stopped (exit code {})", rc);
    ctx.log->flush();
    std::filesystem::remove(ctx.config.pidFile(nodeName), ec);
    close(pidFd);
    return rc;
}

}  // namespace jupiter
