// Operating a cluster like other infrastructure: log files that logrotate can move away (SIGHUP
// reopens them while the daemon goes on serving).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "cluster.hpp"

using namespace jupiter;
using jupiter::testing::Cluster;

namespace {

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

TEST_CASE("operations: SIGHUP makes every daemon reopen its log file after logrotate moved it, and it keeps serving") {
    Cluster c;
    for (const auto* n : c.config().startOrder()) {
        INFO(n->name);
        const auto log = c.config().logFile(n->name);
        const auto rotated = std::filesystem::path(log.string() + ".1");
        std::filesystem::rename(log, rotated);
        const int pid = c.pid(n->name);
        auto r = c.cli(fmt::format("kill {} --signal HUP", n->name));
        INFO(r.output);
        REQUIRE(r.exitCode == 0);
        REQUIRE(Cluster::waitFor([&] { return slurp(log).find("reopened") != std::string::npos; }, Millis(5000)));
        CHECK(c.pid(n->name) == pid);  // the same process: SIGHUP does not stop it
        CHECK(slurp(rotated).find("starting (pid") != std::string::npos);
    }
    // Every daemon still does its job after its log moved.
    auto sent = c.send("product.create", {{"code", "HUP1"}, {"description", "after rotation"}, {"price", 2.5}});
    REQUIRE(sent.ok());
    CHECK(sent->kind == Kind::Reply);
    for (int replica = 1; replica <= static_cast<int>(c.replicas().size()); ++replica) {
        auto q = c.query("product.get", {{"id", sent->body["id"]}}, replica, sent->body["seq"].get<uint64_t>());
        REQUIRE(q.ok());
        CHECK(q->kind == Kind::Reply);
    }
    auto status = c.cli("status");
    CHECK(status.exitCode == 0);
}
