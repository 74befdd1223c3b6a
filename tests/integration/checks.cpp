// Shared integration checks; see checks.hpp.
#include "checks.hpp"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include <doctest/doctest.h>

#include "client/verify.hpp"

namespace jupiter::testing {

long findLine(const std::vector<std::string>& lines, std::initializer_list<std::string> parts, long from) {
    for (long i = from; i < static_cast<long>(lines.size()); ++i) {
        bool all = true;
        for (const auto& p : parts) all = all && lines[static_cast<std::size_t>(i)].find(p) != std::string::npos;
        if (all) return i;
    }
    return -1;
}

bool waitForLine(Cluster& c, std::initializer_list<std::string> parts, long from) {
    return Cluster::waitFor([&] { return findLine(c.transitions(), parts, from) >= 0; }, Millis(10000));
}

std::string joined(const std::vector<std::string>& lines) {
    std::string s;
    for (const auto& x : lines) s += x + "\n";
    return s;
}

void requireNoFailedQueries(QueryLoad& load) {
    load.stop();
    INFO(joined(load.failures()));
    CHECK(load.failed() == 0);
}

uint64_t createProduct(Cluster& c) {
    auto r = c.send("product.create", {{"code", "STOCK"}, {"description", "counter"}, {"price", 1}});
    REQUIRE(r.ok());
    REQUIRE(r->kind == Kind::Reply);
    return r->body["id"].get<uint64_t>();
}

// A replica that is still catching up answers "behind" after a bounded wait; like a user, the
// test asks again (for up to a minute: sanitizer builds on a busy CI machine replay slowly). A
// replica that has just restarted and is replaying a long history may also take longer than the
// client's patience to accept the connection (its handshakes wait for its busy event loop): that
// is asked again too, and only the last answer counts.
int64_t stockOn(Cluster& c, uint64_t product, int replica, uint64_t minSeq) {
    auto r = c.query("product.get", {{"id", product}}, replica, minSeq);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    auto again = [&] {
        if (!r.ok()) return r.error().code == "unavailable" || r.error().code == "timeout";
        return r->kind == Kind::Error && r->body.value("code", "") == "behind";
    };
    while (again() && std::chrono::steady_clock::now() < deadline)
        r = c.query("product.get", {{"id", product}}, replica, minSeq);
    INFO((r.ok() ? std::string() : r.error().message));
    REQUIRE(r.ok());
    INFO(r->body.dump());
    REQUIRE(r->kind == Kind::Reply);
    return r->body["stock"].get<int64_t>();
}

void requireConverged(Cluster& c) {
    auto v = verifyCluster(c.ctx(), c.credentials(), c.config(), Millis(60000));
    INFO((v.ok() ? v->toDoc().dump() : v.error().message));
    REQUIRE(v.ok());
    CHECK(v->agree);
    // Every command node (leader and standbys) and every replica was compared.
    CHECK(v->nodes.size() == c.replicas().size() + c.config().nodesWith(Role::Command).size());
    auto cli = c.cli("verify");
    INFO(cli.output);
    CHECK(cli.exitCode == 0);
}

void requireExactlyOnce(Cluster& c, uint64_t product, const CommandLoad& load, uint64_t total) {
    CHECK(load.abandoned() == 0);
    CHECK(load.acked() == total);
    const auto replicas = c.replicas();
    for (std::size_t r = 0; r < replicas.size(); ++r) {
        INFO(replicas[r]);
        CHECK(stockOn(c, product, static_cast<int>(r + 1), load.maxSeq()) == static_cast<int64_t>(total));
    }
}

void commandNodeKilledMidBurst(Cluster& c, uint64_t total, int clients, uint64_t killAfter) {
    const uint64_t product = createProduct(c);
    CommandLoad load(c.ctx(), c.credentials(), c.gateways(), product, clients, total);
    REQUIRE(Cluster::waitFor([&] { return load.acked() > killAfter; }, Millis(60000)));
    const std::string writer = leaderOf(c);
    killNine(c, writer);
    std::this_thread::sleep_for(Millis(300));
    restart(c, writer);
    // Past the restart, the load goes on for a while, then what is under way completes.
    finishAfterProgress(load, total / 10);
    requireExactlyOnce(c, product, load, load.started());
    requireConverged(c);
}

std::string standingOf(Cluster& c, const std::string& node) {
    Client client(c.ctx(), c.credentials(), c.endpoint(node));
    auto pong = client.call(makeRequest(Kind::Control, "ping", Doc::object()), Millis(500), 1);
    if (!pong || pong->kind != Kind::Control) return "";
    return pong->body.value("standing", std::string());
}

std::string leaderOf(Cluster& c, Millis timeout, const std::string& notThis) {
    std::string leader;
    const bool found = Cluster::waitFor(
        [&] {
            for (const auto* n : c.config().nodesWith(Role::Command))
                if (n->name != notThis && standingOf(c, n->name) == "leader") {
                    leader = n->name;
                    return true;
                }
            return false;
        },
        timeout);
    INFO("no command node leads");
    REQUIRE(found);
    return leader;
}

std::string logOf(const Cluster& c, const std::string& node) {
    std::ifstream in(c.config().logFile(node));
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

std::function<std::string(std::string)> withNodeKey(const std::string& node, const std::string& line) {
    return [node, line](std::string toml) {
        const std::string at = "name = \"" + node + "\"\n";
        const auto where = toml.find(at);
        REQUIRE(where != std::string::npos);
        return toml.insert(where + at.size(), line + "\n");
    };
}

void restart(Cluster& c, const std::string& node) {
    auto r = c.cli("start " + node);
    INFO(r.output);
    REQUIRE(r.exitCode == 0);
}

void killNine(Cluster& c, const std::string& node) {
    const int pid = c.pid(node);
    REQUIRE(pid > 0);
    REQUIRE(kill(pid, SIGKILL) == 0);
    REQUIRE(Cluster::waitFor([&] { return kill(pid, 0) != 0; }, Millis(5000)));
}

}  // namespace jupiter::testing

namespace jupiter::testing {

void requireProgress(const CommandLoad& load, uint64_t more, Millis timeout) {
    const uint64_t from = load.acked();
    INFO("acknowledged so far: " << from << " of " << load.total());
    REQUIRE(from < load.total());
    const uint64_t target = std::min(from + more, load.total());
    REQUIRE(Cluster::waitFor([&] { return load.acked() >= target; }, timeout));
}

void finishAfterProgress(CommandLoad& load, uint64_t more, Millis timeout) {
    const uint64_t target = std::min(load.acked() + more, load.total());
    INFO("acknowledged so far: " << load.acked() << " of " << load.total());
    REQUIRE(Cluster::waitFor([&] { return load.acked() >= target; }, timeout));
    load.finish();
}

}  // namespace jupiter::testing
