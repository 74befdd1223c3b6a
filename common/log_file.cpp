// Log file redirection and reopening; see log_file.hpp.
#include "common/log_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

namespace jupiter {
namespace {

std::mutex logFileMutex;
std::filesystem::path logFilePath;  // guarded by logFileMutex

Status pointOutputAt(const std::filesystem::path& path) {
    std::error_code ec;
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0)
        return makeError("log", fmt::format("cannot open log file {}: {} (check the folder's owner and permissions)",
                                            path.string(), std::strerror(errno)));
    std::fflush(stdout);
    std::fflush(stderr);
    // dup2 swaps the file under descriptors 1 and 2 atomically: a line written meanwhile goes to
    // the old file or the new one, never nowhere.
    const bool ok = dup2(fd, STDOUT_FILENO) >= 0 && dup2(fd, STDERR_FILENO) >= 0;
    const int err = errno;
    close(fd);
    if (!ok) return makeError("log", fmt::format("cannot redirect output to {}: {}", path.string(), std::strerror(err)));
    return Ok{};
}

}  // namespace

Status redirectOutputTo(const std::filesystem::path& path) {
    std::lock_guard lock(logFileMutex);
    auto s = pointOutputAt(path);
    if (s) logFilePath = path;
    return s;
}

Status reopenLogFile() {
    std::lock_guard lock(logFileMutex);
    if (logFilePath.empty()) return Ok{};
    return pointOutputAt(logFilePath);
}

std::filesystem::path currentLogFile() {
    std::lock_guard lock(logFileMutex);
    return logFilePath;
}

}  // namespace jupiter
