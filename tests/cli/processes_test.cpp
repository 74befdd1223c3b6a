// CLI: which daemon binary and arguments each node gets, signal names, and telling a live daemon
// from a stale pidfile by its lock.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli/processes.hpp"
#include "tests/temp_dir.hpp"

using namespace jupiter;
using namespace jupiter::cli;
using jupiter::testing::TempDir;

TEST_CASE("cli: each node is started from its role's daemon binary with the cluster's config and its name") {
    CHECK(daemonBinary(Role::Broker) == "jupiter-broker");
    CHECK(daemonBinary(Role::Query) == "jupiter-query");
    NodeConfig gw{"gateway-2", Role::Gateway, "tcp://127.0.0.1:1", "tcp://127.0.0.1:1", {}, 0, "", ""};
    CHECK(daemonArgs(gw, "/d/jupiter.toml") ==
          std::vector<std::string>{"jupiter-gateway", "--config", "/d/jupiter.toml", "--daemon", "--node", "gateway-2"});
    NodeConfig replica{"eu-west-replica", Role::Query, "tcp://127.0.0.1:2", "tcp://127.0.0.1:2", {}, 0, "", ""};
    CHECK(daemonArgs(replica, "/d/jupiter.toml") == std::vector<std::string>{"jupiter-query", "--config",
                                                                             "/d/jupiter.toml", "--daemon", "--node",
                                                                             "eu-west-replica"});
}

TEST_CASE("cli: signal names are accepted with or without SIG - in any case") {
    CHECK(parseSignal("KILL") == SIGKILL);
    CHECK(parseSignal("sigterm") == SIGTERM);
    CHECK(parseSignal("Stop") == SIGSTOP);
    CHECK(parseSignal("SIGCONT") == SIGCONT);
    CHECK(parseSignal("hup") == SIGHUP);
    CHECK(!parseSignal("USR1"));
    CHECK(!parseSignal(""));
}

TEST_CASE("cli: only a locked pidfile counts as a running daemon") {
    TempDir dir("cli-test");
    const auto pidFile = dir.path / "gateway.pid";
    CHECK(!lockedPid(pidFile));  // no file

    {
        std::ofstream(pidFile) << "999999\n";
    }
    CHECK(!lockedPid(pidFile));  // a stale pid that nobody holds must never be signalled

    // flock locks belong to an open file description, so a second open() in this process conflicts
    // just as another process would.
    const int fd = open(pidFile.c_str(), O_RDWR | O_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(flock(fd, LOCK_EX | LOCK_NB) == 0);
    CHECK(lockedPid(pidFile) == pid_t{999999});
    REQUIRE(ftruncate(fd, 0) == 0);
    CHECK(lockedPid(pidFile) == pid_t{0});  // locked, pid not written yet
    close(fd);
    CHECK(!lockedPid(pidFile));
}

TEST_CASE("cli: the tail of a log is its last lines") {
    TempDir dir("cli-test");
    const auto log = dir.path / "x.log";
    {
        std::ofstream out(log);
        for (int i = 1; i <= 30; ++i) out << "line " << i << "\n";
    }
    CHECK(tailFile(log, 2) == "line 29\nline 30\n");
    CHECK(tailFile(log, 100).rfind("line 1\n", 0) == 0);
    CHECK(tailFile(dir.path / "missing.log", 5).empty());
}
