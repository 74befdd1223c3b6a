// Log file redirection and SIGHUP-style reopening, in a forked child so that the test runner's own
// output stays on the terminal.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <functional>

#include "common/log_file.hpp"
#include "tests/text.hpp"

using namespace jupiter;
using jupiter::testing::slurp;

namespace {

// Runs `body` in a child process; its exit code.
int inChild(const std::function<int()>& body) {
    const pid_t pid = fork();
    if (pid == 0) _exit(body());
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("log file: output moves to the file, and a reopen after a rename starts a fresh file at the path") {
    const auto dir = std::filesystem::temp_directory_path() / ("jupiter-logfile-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    const auto path = dir / "log" / "query-1.log";  // the folder does not exist yet
    const int rc = inChild([&] {
        if (!reopenLogFile()) return 10;  // never redirected: nothing to do, no error
        if (!currentLogFile().empty()) return 11;
        if (!redirectOutputTo(path)) return 12;
        std::fprintf(stderr, "before rotation\n");
        std::printf("stdout too\n");
        std::fflush(stdout);
        std::filesystem::rename(path, dir / "log" / "query-1.log.1");
        std::fprintf(stderr, "still the old file\n");
        if (!reopenLogFile()) return 13;
        std::fprintf(stderr, "after rotation\n");
        return currentLogFile() == path ? 0 : 14;
    });
    CHECK(rc == 0);
    CHECK(slurp(dir / "log" / "query-1.log.1") == "before rotation\nstdout too\nstill the old file\n");
    CHECK(slurp(path) == "after rotation\n");
    CHECK((std::filesystem::status(path).permissions() & std::filesystem::perms::others_read) ==
          std::filesystem::perms::none);
    std::filesystem::remove_all(dir);
}

TEST_CASE("log file: a path that cannot be opened is refused with its name, and output stays put") {
    const int rc = inChild([] {
        auto s = redirectOutputTo("/proc/jupiter-no-such-folder/x.log");
        if (s) return 20;
        if (s.error().message.find("/proc/jupiter-no-such-folder/x.log") == std::string::npos) return 21;
        return currentLogFile().empty() ? 0 : 22;
    });
    CHECK(rc == 0);
}
