// `ip` and network namespaces; see ip_tool.hpp.
#include "netlab/ip_tool.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace jupiter::netlab {
namespace {

constexpr const char* kIp = "/usr/sbin/ip";

std::string readAll(int fd) {
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) != 0;) {
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

}  // namespace

Result<std::string> runIp(const std::vector<std::string>& args) {
    if (access(kIp, X_OK) != 0)
        return makeError("not_found", fmt::format("{} is missing: install Debian's iproute2 (scripts/setup.sh does)", kIp));
    std::vector<char*> argv{const_cast<char*>(kIp)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0) return makeError("netlab", fmt::format("pipe: {}", std::strerror(errno)));
    if (pipe2(err, O_CLOEXEC) != 0) {
        close(out[0]);
        close(out[1]);
        return makeError("netlab", fmt::format("pipe: {}", std::strerror(errno)));
    }
    const pid_t child = fork();
    if (child == 0) {
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        execv(kIp, argv.data());
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    // `ip` prints little: read stdout to its end, then stderr (it cannot fill the pipe meanwhile).
    std::string stdoutText = child > 0 ? readAll(out[0]) : "";
    std::string stderrText = child > 0 ? readAll(err[0]) : "";
    close(out[0]);
    close(err[0]);
    if (child < 0) return makeError("netlab", fmt::format("cannot fork to run ip: {}", std::strerror(errno)));
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        while (!stderrText.empty() && stderrText.back() == '\n') stderrText.pop_back();
        return makeError("netlab", fmt::format("`ip {}` failed: {}", fmt::join(args, " "),
                                               stderrText.empty() ? "no message" : stderrText));
    }
    return stdoutText;
}

Status labSupported() {
    if (geteuid() != 0)
        return makeError("netlab", "a lab network needs root (network namespaces, a bridge, routes): run as root or "
                                   "with sudo");
    if (access(kIp, X_OK) != 0)
        return makeError("netlab", fmt::format("{} is missing: install Debian's iproute2", kIp));
    return Ok{};
}

Result<int> openNetns(const std::string& name) {
    const std::string path = "/run/netns/" + name;
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return makeError("netlab", fmt::format("network namespace {} cannot be opened ({}): {}", name, path,
                                               errno == ENOENT ? "it does not exist (`jupiter up` creates the lab "
                                                                 "namespaces of a configuration with [netlab])"
                                                               : std::strerror(errno)));
    return fd;
}

int enterNetns(int fd) { return setns(fd, CLONE_NEWNET); }

}  // namespace jupiter::netlab
