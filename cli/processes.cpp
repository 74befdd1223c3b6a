// Daemon processes seen from outside; see processes.hpp.
#include "cli/processes.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "netlab/ip_tool.hpp"

namespace jupiter::cli {
namespace {

std::optional<pid_t> readPid(int fd) {
    char buf[32] = {};
    const auto n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return std::nullopt;
    long v = std::strtol(buf, nullptr, 10);
    if (v <= 0) return std::nullopt;
    return static_cast<pid_t>(v);
}

}  // namespace

std::optional<pid_t> lockedPid(const std::filesystem::path& pidFile) {
    const int fd = open(pidFile.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
        // We got the lock, so nobody holds it: the file is a leftover. Let go at once, so a
        // daemon starting right now is not refused because of us.
        flock(fd, LOCK_UN);
        close(fd);
        return std::nullopt;
    }
    // The daemon takes the lock and then writes its pid: give that moment a chance.
    std::optional<pid_t> pid;
    for (int i = 0; i < 10 && !(pid = readPid(fd)); ++i) std::this_thread::sleep_for(Millis(10));
    close(fd);
    return pid.value_or(0);
}

std::filesystem::path binDir() {
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return std::filesystem::current_path(ec);
    return exe.parent_path();
}

std::string daemonBinary(Role role) { return fmt::format("jupiter-{}", roleName(role)); }

std::vector<std::string> daemonArgs(const NodeConfig& node, const std::filesystem::path& configFile) {
    return {daemonBinary(node.role), "--config", configFile.string(), "--daemon", "--node", node.name};
}

Status spawnDaemon(const std::filesystem::path& binaryDir, const NodeConfig& node,
                   const std::filesystem::path& configFile, Millis timeout) {
    const auto binary = binaryDir / daemonBinary(node.role);
    if (access(binary.c_str(), X_OK) != 0)
        return makeError("not_found", fmt::format("{} is not there or not executable (the daemons are installed "
                                                  "beside `jupiter`; build them with `ninja -C build`)",
                                                  binary.string()));
    const auto args = daemonArgs(node, configFile);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);

    // A node of a lab network runs in its own network namespace, entered between fork and exec.
    int netnsFd = -1;
    if (!node.netns.empty()) {
        auto fd = netlab::openNetns(node.netns);
        if (!fd) return fd.error();
        netnsFd = *fd;
    }
    const pid_t child = fork();
    if (child < 0) {
        if (netnsFd >= 0) close(netnsFd);
        return makeError("spawn", fmt::format("cannot fork to start {}: {}", node.name, std::strerror(errno)));
    }
    if (child == 0) {
        // Only async-signal-safe calls from here to exec. Our descriptors (ZeroMQ's among them)
        // must not leak into a daemon that outlives us, and it must not inherit a blocked mask.
        if (netnsFd >= 0 && netlab::enterNetns(netnsFd) != 0) {
            const char msg[] = "jupiter: cannot enter the node's network namespace\n";
            [[maybe_unused]] auto w = write(STDERR_FILENO, msg, sizeof msg - 1);
            _exit(126);
        }
        close_range(3, ~0U, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        execv(binary.c_str(), argv.data());
        const char msg[] = "jupiter: exec of a daemon failed\n";
        [[maybe_unused]] auto w = write(STDERR_FILENO, msg, sizeof msg - 1);
        _exit(127);
    }
    if (netnsFd >= 0) close(netnsFd);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        int status = 0;
        const pid_t r = waitpid(child, &status, WNOHANG);
        if (r == child) {
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Ok{};
            if (WIFEXITED(status))
                return makeError("spawn", fmt::format("{} exited with code {} while starting", binary.string(),
                                                      WEXITSTATUS(status)));
            return makeError("spawn", fmt::format("{} died of signal {} while starting", binary.string(),
                                                  WIFSIGNALED(status) ? WTERMSIG(status) : 0));
        }
        if (r < 0 && errno != EINTR)
            return makeError("spawn", fmt::format("cannot wait for {}: {}", binary.string(), std::strerror(errno)));
        if (std::chrono::steady_clock::now() >= deadline)
            return makeError("spawn", fmt::format("{} (pid {}) did not detach within {} ms; does it support "
                                                  "--daemon?", binary.string(), child, timeout.count()));
        std::this_thread::sleep_for(Millis(5));
    }
}

bool waitForExit(pid_t pid, const std::filesystem::path& pidFile, Millis timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (kill(pid, 0) != 0 && errno == ESRCH) return true;
        if (!lockedPid(pidFile)) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(Millis(20));
    }
}

std::string tailFile(const std::filesystem::path& file, std::size_t n) {
    std::ifstream in(file);
    std::deque<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(std::move(line));
        if (lines.size() > n) lines.pop_front();
    }
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
}

std::optional<int> parseSignal(std::string_view name) {
    std::string up;
    for (char c : name) up += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    if (up.rfind("SIG", 0) == 0) up = up.substr(3);
    if (up == "KILL") return SIGKILL;
    if (up == "TERM") return SIGTERM;
    if (up == "STOP") return SIGSTOP;
    if (up == "CONT") return SIGCONT;
    if (up == "HUP") return SIGHUP;
    return std::nullopt;
}

}  // namespace jupiter::cli
