// Operating a cluster like other infrastructure: log files that logrotate can move away (SIGHUP
// reopens them while the daemon goes on serving), and Prometheus metrics on every daemon that
// promtool accepts, that move with the traffic, and that cover what the Grafana dashboard queries.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <curl/curl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "checks.hpp"
#include "cluster.hpp"
#include "tests/text.hpp"

// Every case here is a scenario (in every CI run) unless it says soak (scripts/soak.sh).
TEST_SUITE_BEGIN("scenario");


using namespace jupiter;
using jupiter::testing::slurp;
using jupiter::testing::Cluster;
using jupiter::testing::runShell;

namespace {

// GET http://ADDRESS/metrics; empty on any failure.
std::string scrape(const std::string& address) {
    CURL* curl = curl_easy_init();
    if (!curl) return {};
    std::string body;
    const std::string url = fmt::format("http://{}/metrics", address);
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, +[](char* p, size_t size, size_t n, void* out) {
        static_cast<std::string*>(out)->append(p, size * n);
        return size * n;
    });
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    const CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    return rc == CURLE_OK && status == 200 ? body : std::string();
}

// The sum of the samples of `name` whose labels contain every one of `labels` (e.g. `kind="query"`).
double sample(const std::string& exposition, const std::string& name, const std::vector<std::string>& labels = {}) {
    double sum = 0;
    std::istringstream in(exposition);
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#' || line.rfind(name, 0) != 0) continue;
        const char after = line.size() > name.size() ? line[name.size()] : '\0';
        if (after != '{' && after != ' ') continue;  // another metric whose name starts the same
        bool all = true;
        for (const auto& l : labels) all = all && line.find(l) != std::string::npos;
        if (all) sum += std::stod(line.substr(line.rfind(' ') + 1));
    }
    return sum;
}

// The sum over every node of `role`.
double sampleAll(Cluster& c, Role role, const std::string& name, const std::vector<std::string>& labels = {}) {
    double sum = 0;
    for (const auto* n : c.config().nodesWith(role)) sum += sample(scrape(n->metrics), name, labels);
    return sum;
}

// The sample names an exposition serves: each family, and a histogram's _bucket, _sum and _count.
std::set<std::string> metricNames(const std::string& exposition) {
    std::set<std::string> names;
    std::istringstream lines(exposition);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::string hash, type, name, kind;
        if (!(words >> hash >> type >> name >> kind) || hash != "#" || type != "TYPE") continue;
        names.insert(name);
        if (kind == "histogram" || kind == "summary")
            for (const char* suffix : {"_bucket", "_sum", "_count"}) names.insert(name + suffix);
    }
    return names;
}

// The metric names a PromQL expression reads (Jupiter's and the process_ ones).
std::set<std::string> namesIn(const std::string& expr) {
    std::set<std::string> names;
    static const std::regex metric(R"(\b(jupiter|process)_[a-z_]+)");
    for (auto it = std::sregex_iterator(expr.begin(), expr.end(), metric); it != std::sregex_iterator(); ++it)
        names.insert(it->str());
    return names;
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

TEST_CASE("operations: every daemon stopped with SIGTERM starts again at once on the same ports (metrics included)"
          * doctest::test_suite("heavy")) {
    // Heavy, not run sanitized: every daemon restarted at once: time.
    Cluster c;
    // `jupiter kill` reports a node gone once its pidfile lock is free; by then every port it held
    // must be closed, or the restart would find its own metrics port taken.
    for (const auto* n : c.config().startOrder()) {
        INFO(n->name);
        auto stop = c.cli(fmt::format("kill {} --signal TERM", n->name));
        INFO(stop.output);
        REQUIRE(stop.exitCode == 0);
        auto start = c.cli(fmt::format("start {}", n->name));
        INFO(start.output);
        CHECK(start.exitCode == 0);
        CHECK(scrape(n->metrics).find("jupiter_build_info") != std::string::npos);
    }
    auto sent = c.send("product.create", {{"code", "TERM1"}, {"description", "after restarts"}, {"price", 1}});
    REQUIRE(sent.ok());
    CHECK(sent->kind == Kind::Reply);
}

TEST_CASE("operations: every daemon serves Prometheus metrics that promtool accepts, and they move with the traffic") {
    Cluster c;
    REQUIRE_MESSAGE(runShell("command -v promtool").exitCode == 0,
                    "promtool is missing: install Debian's prometheus package (scripts/test.sh does)");
    const auto tmp = std::filesystem::temp_directory_path() / fmt::format("jupiter-metrics-{}.txt", getpid());
    for (const auto* n : c.config().startOrder()) {
        INFO(n->name << " at " << n->metrics);
        REQUIRE(!n->metrics.empty());
        const std::string text = scrape(n->metrics);
        REQUIRE(!text.empty());
        {
            std::ofstream out(tmp);
            out << text;
        }
        auto lint = runShell(fmt::format("promtool check metrics < {}", tmp.string()));
        INFO(lint.output);
        CHECK(lint.exitCode == 0);
        CHECK(sample(text, "jupiter_build_info", {fmt::format("node=\"{}\"", n->name)}) == 1);
        CHECK(sample(text, "process_resident_memory_bytes") > 0);
        CHECK(sample(text, "jupiter_refused_handshakes_total") == 0);
        // No request id (or other unbounded value) in any label.
        CHECK(text.find("id=") == std::string::npos);
    }
    std::filesystem::remove(tmp);

    auto before = [&](Role r, const std::string& name, const std::vector<std::string>& labels = {}) {
        return sampleAll(c, r, name, labels);
    };
    const double commandsOk = before(Role::Gateway, "jupiter_gateway_requests_total", {"kind=\"command\"", "outcome=\"ok\""});
    const double queriesOk = before(Role::Gateway, "jupiter_gateway_requests_total", {"kind=\"query\"", "outcome=\"ok\""});
    const double decided = before(Role::Command, "jupiter_command_commands_total", {"name=\"product.create\"", "outcome=\"ok\""});
    const double rejected =
        before(Role::Command, "jupiter_command_commands_total", {"name=\"product.create\"", "outcome=\"rejected\""});
    const double relayed = before(Role::Broker, "jupiter_broker_relayed_messages_total", {"channel=\"commands\""});
    const double applied = before(Role::Query, "jupiter_query_events_applied_total");
    const double commits = before(Role::Command, "jupiter_command_commit_duration_seconds_count");

    uint64_t seq = 0;
    for (int i = 0; i < 5; ++i) {
        auto r = c.send("product.create", {{"code", fmt::format("M{}", i)}, {"description", "d"}, {"price", 1.5}});
        REQUIRE(r.ok());
        REQUIRE(r->kind == Kind::Reply);
        seq = r->body["seq"].get<uint64_t>();
    }
    auto dup = c.send("product.create", {{"code", "M0"}, {"description", "again"}, {"price", 1.5}});
    REQUIRE(dup.ok());
    CHECK(dup->kind == Kind::Error);  // the code is taken: a rule broken, counted under its error code
    for (int i = 0; i < 3; ++i) REQUIRE(c.query("products.list", Doc::object(), 0, seq).ok());
    auto unknown = c.query("no.such.query");
    REQUIRE(unknown.ok());
    CHECK(unknown->kind == Kind::Error);

    CHECK(Cluster::waitFor([&] {
        return before(Role::Gateway, "jupiter_gateway_requests_total", {"kind=\"command\"", "outcome=\"ok\""}) >=
                   commandsOk + 5 &&
               before(Role::Gateway, "jupiter_gateway_requests_total", {"kind=\"query\"", "outcome=\"ok\""}) >=
                   queriesOk + 3;
    }, Millis(5000)));
    CHECK(before(Role::Gateway, "jupiter_gateway_requests_total", {"name=\"unknown\""}) >= 1);
    CHECK(before(Role::Gateway, "jupiter_gateway_request_duration_seconds_count", {"kind=\"query\""}) >= queriesOk + 3);
    CHECK(before(Role::Command, "jupiter_command_commands_total", {"name=\"product.create\"", "outcome=\"ok\""}) ==
          decided + 5);
    CHECK(before(Role::Command, "jupiter_command_commands_total", {"name=\"product.create\"", "outcome=\"rejected\""}) ==
          rejected + 1);
    CHECK(before(Role::Command, "jupiter_command_commit_duration_seconds_count") > commits);
    CHECK(before(Role::Broker, "jupiter_broker_relayed_messages_total", {"channel=\"commands\""}) >= relayed + 6);
    // Every replica applied the five commands' events, and says it is caught up.
    CHECK(Cluster::waitFor([&] { return before(Role::Query, "jupiter_query_events_applied_total") >= applied + 15; },
                           Millis(5000)));
    CHECK(Cluster::waitFor([&] { return before(Role::Query, "jupiter_query_lag_events") == 0; }, Millis(5000)));
    // Sampled each heartbeat interval, so wait for the next sample.
    for (const auto* q : c.config().nodesWith(Role::Query))
        CHECK(Cluster::waitFor(
            [&] { return sample(scrape(q->metrics), "jupiter_store_applied_sequence") >= static_cast<double>(seq); },
            Millis(5000)));
    // The monitor sees every node UP.
    const auto* monitor = c.config().nodesWith(Role::Monitor).front();
    CHECK(Cluster::waitFor([&] {
        return sample(scrape(monitor->metrics), "jupiter_monitor_node_up") ==
               static_cast<double>(c.config().nodes.size() - 1);
    }, Millis(5000)));

    // The Grafana dashboard (packaging/grafana) queries only metrics this cluster serves.
    std::set<std::string> served;
    for (const auto* n : c.config().startOrder())
        for (const auto& name : metricNames(scrape(n->metrics))) served.insert(name);
    std::ifstream in(std::string(JUPITER_SOURCE_DIR) + "/packaging/grafana/jupiter-dashboard.json");
    const Doc dashboard = Doc::parse(in, nullptr, /*allow_exceptions=*/false);
    REQUIRE(dashboard.is_object());
    REQUIRE(dashboard.contains("panels"));
    std::size_t queries = 0;
    for (const auto& panel : dashboard["panels"]) {
        if (!panel.contains("targets")) continue;
        for (const auto& target : panel["targets"]) {
            const std::string expr = target.value("expr", "");
            INFO(panel.value("title", "") << ": " << expr);
            const auto named = namesIn(expr);
            CHECK(!named.empty());
            for (const auto& name : named) CHECK_MESSAGE(served.count(name) == 1, name << " is served by no daemon");
            ++queries;
        }
    }
    CHECK(queries >= 20);
}

TEST_SUITE_END();
