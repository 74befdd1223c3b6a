// Benchmark scenarios; see scenarios.hpp.
#include "bench/scenarios.hpp"

#include <signal.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <thread>

#include <stdexcept>

#include <fmt/format.h>
#include <rocksdb/db.h>

#include "client/client.hpp"
#include "common/zmq_util.hpp"

namespace jupiter::bench {
namespace {

using steady = std::chrono::steady_clock;

int64_t nowWallMs() {
    return std::chrono::duration_cast<Millis>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Doc summary(const LoadResult& r) {
    return Doc{{"ok", r.ok},
               {"failed", r.failed},
               {"per_second", static_cast<int64_t>(r.rate())},
               {"p50_us", r.percentileUs(0.50)},
               {"p99_us", r.percentileUs(0.99)},
               {"max_us", r.maxUs()},
               {"longest_gap_us", r.longestGapUs()},
               {"errors", r.errors}};
}

Result<Envelope> call(zmq::context_t& ctx, const Credentials& cr, const std::string& ep, Kind k, const std::string& name, Doc body) {
    Client c(ctx, cr, ep);
    return c.call(makeRequest(k, name, std::move(body)), Millis(10000), 2);
}

// Seeding must work, or every later figure is meaningless.
void mustSucceed(const Result<Envelope>& r, const char* what) {
    if (!r.ok()) throw std::runtime_error(fmt::format("seeding ({}) failed: {}", what, r.error().message));
    if (r->kind != Kind::Reply) throw std::runtime_error(fmt::format("seeding ({}) was refused: {}", what, r->body.dump()));
}

// Requests for query loads: sale.get over the sales that exist (a fixed-size answer), or
// inventory.value on a cluster without sales.
std::function<Envelope(uint64_t)> queryMaker(zmq::context_t& ctx, const ClusterControl& cluster) {
    std::vector<uint64_t> ids;
    auto sales = call(ctx, cluster.credentials(), cluster.gatewayEndpoint(), Kind::Query, "sales.list", {{"limit", 100}});
    if (sales.ok() && sales->kind == Kind::Reply)
        for (const auto& row : sales->body.value("items", Doc::array())) ids.push_back(row["id"].get<uint64_t>());
    return [ids](uint64_t n) {
        if (ids.empty()) return makeRequest(Kind::Query, "inventory.value", Doc::object(), "");
        return makeRequest(Kind::Query, "sale.get", {{"id", ids[n % ids.size()]}}, "");
    };
}

uint64_t replicaSeq(zmq::context_t& ctx, const Credentials& cr, const std::string& ep) {
    Client c(ctx, cr, ep);
    auto r = c.call(makeRequest(Kind::Control, "ping", Doc::object()), Millis(500), 1);
    return r.ok() && r->body.contains("seq") ? r->body["seq"].get<uint64_t>() : 0;
}

// Transition-log lines for `node` and `event` at or after `sinceMs`; the first one's time.
int64_t firstTransition(const ClusterControl& cluster, const std::string& what, int64_t sinceMs) {
    std::ifstream in(cluster.config().transitionLog());
    for (std::string line; std::getline(in, line);) {
        if (line.find(what) == std::string::npos) continue;
        const int64_t t = parseUtcMs(line.substr(0, line.find(' ')));
        if (t >= sinceMs) return t;
    }
    return 0;
}

}  // namespace

int64_t parseUtcMs(const std::string& s) {
    std::tm tm{};
    int ms = 0;
    if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                    &tm.tm_sec, &ms) != 7)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

void seedData(zmq::context_t& ctx, const ClusterControl& cluster) {
    const std::string gw = cluster.gatewayEndpoint();
    for (int i = 1; i <= 10; ++i) {
        mustSucceed(call(ctx, cluster.credentials(), gw, Kind::Command, "seller.create",
             {{"first_name", fmt::format("Seller{}", i)}, {"last_name", "Bench"}, {"doc_type", "CEDULA"},
              {"doc_number", fmt::format("B{}-{}", i, getpid())}, {"phone", "300"}}), "seller");
        mustSucceed(call(ctx, cluster.credentials(), gw, Kind::Command, "product.create",
             {{"code", fmt::format("BP{}-{}", i, getpid())}, {"description", "bench product"}, {"price", 9.99 * i}}), "product");
    }
    auto first = call(ctx, cluster.credentials(), gw, Kind::Query, "products.list", {{"limit", 1000}});
    for (const auto& p : first.ok() ? first->body.value("items", Doc::array()) : Doc::array())
        mustSucceed(call(ctx, cluster.credentials(), gw, Kind::Command, "stock.receive", {{"product", p["id"]}, {"quantity", 1000000}}), "stock");
    auto sellers = call(ctx, cluster.credentials(), gw, Kind::Query, "sellers.list", {{"limit", 1}});
    const auto products = first.ok() ? first->body.value("items", Doc::array()) : Doc::array();
    if (!sellers.ok() || sellers->body["items"].empty() || products.empty()) return;
    const auto seller = sellers->body["items"][0]["id"];
    for (int i = 0; i < 100; ++i)
        mustSucceed(call(ctx, cluster.credentials(), gw, Kind::Command, "sale.create",
             {{"seller", seller}, {"product", products[static_cast<std::size_t>(i) % products.size()]["id"]},
              {"quantity", 1}, {"client", "bench"}, {"invoice", fmt::format("BI-{}-{}", getpid(), i)}}), "sale");
}

std::string missingForLoad(zmq::context_t& ctx, const ClusterControl& cluster, bool commands) {
    const char* list = commands ? "products.list" : "sales.list";
    auto r = call(ctx, cluster.credentials(), cluster.gatewayEndpoint(), Kind::Query, list, {{"limit", 1}});
    if (!r.ok()) return fmt::format("the cluster did not answer {} ({})", list, r.error().message);
    if (r->kind != Kind::Reply) return fmt::format("the cluster refused {}: {}", list, r->body.dump());
    if (!r->body.value("items", Doc::array()).empty()) return "";
    return commands ? "it has no product to receive stock for (the command load is stock.receive of one)"
                    : "it has no sales to read (the query load is sale.get of existing sales)";
}

Doc benchQueries(zmq::context_t& ctx, const ClusterControl& cluster, int clients, Millis duration, int replica,
                 bool connectFirst, int gateways) {
    LoadSpec spec;
    const auto replicas = cluster.replicas();
    if (replica > static_cast<int>(replicas.size()))
        throw std::runtime_error(fmt::format("--replica {}: the cluster has {} query nodes", replica, replicas.size()));
    const NodeConfig* target = replica > 0 ? replicas[static_cast<std::size_t>(replica - 1)] : nullptr;
    auto all = cluster.gatewayEndpoints();
    if (gateways > 0 && static_cast<std::size_t>(gateways) < all.size()) all.resize(static_cast<std::size_t>(gateways));
    spec.endpoints = target ? std::vector<std::string>{target->endpoint} : all;
    spec.credentials = cluster.credentials();
    spec.connectFirst = connectFirst;
    spec.clients = clients;
    spec.duration = duration;
    spec.make = queryMaker(ctx, cluster);
    Doc d = summary(runLoad(ctx, spec));
    d["query"] = spec.make(0).name;
    d["clients"] = clients;
    d["target"] = target ? target->name : all.size() == 1 ? "gateway" : fmt::format("{} gateways", all.size());
    return d;
}

Doc benchEcho(zmq::context_t& ctx, int clients, Millis duration) {
    zmq::socket_t server = makeSocket(ctx, zmq::socket_type::router);
    server.bind("tcp://127.0.0.1:*");
    const std::string ep = lastEndpoint(server);
    std::atomic<bool> stop{false};
    std::thread echo([&] {
        zmq::pollitem_t item{server.handle(), 0, ZMQ_POLLIN, 0};
        while (!stop) {
            if (zmq::poll(&item, 1, Millis(50)) <= 0) continue;
            while (auto frames = recvFrames(server)) sendFrames(server, *frames);
        }
    });
    LoadSpec spec;
    spec.endpoints = {ep};
    spec.clients = clients;
    spec.duration = duration;
    // A reply-shaped envelope of the size of a sale.get answer, echoed back as is.
    spec.make = [](uint64_t n) {
        Envelope e = makeRequest(Kind::Reply, "sale.get",
                                 {{"id", n}, {"seller", 1}, {"product", 2}, {"quantity", 1}, {"client", "bench"},
                                  {"invoice", "BI-1234-56"}, {"at", 1795838306572}, {"unit_price_cents", 999},
                                  {"total_cents", 999}},
                                 "");
        e.node = "echo";
        return e;
    };
    LoadResult r = runLoad(ctx, spec);
    stop = true;
    echo.join();
    Doc d = summary(r);
    d["clients"] = clients;
    d["target"] = "zmq echo";
    return d;
}

Doc benchCommands(zmq::context_t& ctx, const ClusterControl& cluster, int clients, Millis duration,
                  bool connectFirst) {
    auto products = call(ctx, cluster.credentials(), cluster.gatewayEndpoint(), Kind::Query, "products.list", {{"limit", 1}});
    if (!products.ok() || products->kind != Kind::Reply || products->body["items"].empty())
        throw std::runtime_error("the cluster has no product to receive stock for; seed it first (jupiter-bench "
                                 "commands --seed)");
    const uint64_t product = products->body["items"][0]["id"].get<uint64_t>();
    LoadSpec spec;
    spec.endpoints = cluster.gatewayEndpoints();
    spec.credentials = cluster.credentials();
    spec.connectFirst = connectFirst;
    spec.clients = clients;
    spec.duration = duration;
    spec.make = [product](uint64_t) {
        return makeRequest(Kind::Command, "stock.receive", {{"product", product}, {"quantity", 1}}, "");
    };
    Doc d = summary(runLoad(ctx, spec));
    d["command"] = "stock.receive";
    d["clients"] = clients;
    return d;
}

Doc benchRocksWrites(int writes, bool sync, int perBatch) {
    const auto dir = std::filesystem::temp_directory_path() / fmt::format("jupiter-bench-rocks-{}", getpid());
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    if (!rocksdb::DB::Open(o, dir.string(), &raw).ok()) return Doc{{"error", "cannot open " + dir.string()}};
    std::unique_ptr<rocksdb::DB> db(raw);
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    const std::string value(120, 'v');
    const auto start = steady::now();
    rocksdb::WriteBatch batch;
    for (int i = 0; i < writes; ++i) {
        batch.Put(fmt::format("k{:016x}", i), value);
        if ((i + 1) % perBatch == 0 || i + 1 == writes) {
            db->Write(wo, &batch);
            batch.Clear();
        }
    }
    const double secs = std::chrono::duration<double>(steady::now() - start).count();
    db.reset();
    std::filesystem::remove_all(dir);
    return Doc{{"writes", writes}, {"per_second", static_cast<int64_t>(writes / secs)}};
}

Doc benchRocksSync(int writes) { return benchRocksWrites(writes, true, 1); }

Doc benchRocksBatched(int writes) { return benchRocksWrites(writes, false, 5000); }

Doc eventLogSize(const ClusterControl& cluster) {
    zmq::context_t ctx(1);
    const uint64_t events = replicaSeq(ctx, cluster.credentials(), cluster.firstCommandNode().endpoint);
    uint64_t bytes = 0;
    std::error_code ec;
    for (const auto& f : std::filesystem::recursive_directory_iterator(cluster.config().nodeDataDir(cluster.firstCommandNode().name), ec))
        if (f.is_regular_file(ec)) bytes += f.file_size(ec);
    return Doc{{"events", events},
               {"store_bytes", bytes},
               {"bytes_per_million", events ? static_cast<uint64_t>(static_cast<double>(bytes) * 1e6 / static_cast<double>(events)) : 0}};
}

Doc benchReplicationLag(zmq::context_t& ctx, const ClusterControl& cluster, int commands) {
    Client gw(ctx, cluster.credentials(), cluster.gatewayEndpoint());
    std::vector<std::unique_ptr<Client>> replicas;
    for (const auto* r : cluster.replicas()) replicas.push_back(std::make_unique<Client>(ctx, cluster.credentials(), r->endpoint));
    auto products = call(ctx, cluster.credentials(), cluster.gatewayEndpoint(), Kind::Query, "products.list", {{"limit", 1}});
    const auto product = products.ok() && !products->body["items"].empty() ? products->body["items"][0]["id"] : Doc(1);
    std::vector<int64_t> lags;
    for (int i = 0; i < commands; ++i) {
        auto ack = gw.call(makeRequest(Kind::Command, "stock.receive", {{"product", product}, {"quantity", 1}}),
                           Millis(5000), 2);
        const auto acked = steady::now();
        if (!ack.ok() || ack->kind != Kind::Reply) continue;
        const uint64_t seq = ack->body["seq"].get<uint64_t>();
        // Each replica answers a query that needs `seq` as soon as it has applied it.
        std::vector<std::string> ids;
        for (auto& r : replicas) {
            Envelope q = makeRequest(Kind::Query, "inventory.value", Doc::object());
            q.minSeq = seq;
            ids.push_back(q.id);
            r->send(q);
        }
        int64_t worst = 0;
        for (std::size_t k = 0; k < replicas.size(); ++k) {
            while (auto rep = replicas[k]->receive(Millis(2000))) {
                if (rep->id != ids[k]) continue;
                worst = std::max<int64_t>(worst, std::chrono::duration_cast<Micros>(steady::now() - acked).count());
                break;
            }
        }
        lags.push_back(worst);
        std::this_thread::sleep_for(Millis(2));
    }
    std::sort(lags.begin(), lags.end());
    auto pct = [&](double p) { return lags.empty() ? 0 : lags[static_cast<std::size_t>(p * static_cast<double>(lags.size() - 1))]; };
    return Doc{{"commands", lags.size()}, {"p50_us", pct(0.5)}, {"p99_us", pct(0.99)}, {"max_us", lags.empty() ? 0 : lags.back()}};
}

namespace {

// The replica's own account of how it caught up ("installed a copy of the state at sequence N: ..."
// and "caught up at sequence N: M events replayed in S s (R events/s)"), the last of each written
// after byte `from` of its log; empty if it wrote neither.
std::string caughtUpLines(const ClusterControl& cluster, const std::string& node, std::uintmax_t from) {
    std::ifstream in(cluster.config().logsDir / (node + ".log"));
    in.seekg(static_cast<std::streamoff>(from));
    std::string installed, replayed;
    for (std::string line; std::getline(in, line);) {
        if (auto at = line.find("installed a copy of the state"); at != std::string::npos) installed = line.substr(at);
        if (auto at = line.find("caught up at sequence"); at != std::string::npos) replayed = line.substr(at);
    }
    return installed + (installed.empty() || replayed.empty() ? "" : " / ") + replayed;
}

// Sets (or, with an empty value, removes) one key of a node's table in the cluster's jupiter.toml.
void setNodeKey(const ClusterControl& cluster, const std::string& node, const std::string& key, const std::string& value) {
    const auto path = cluster.config().source;
    std::ifstream in(path);
    std::string toml((std::istreambuf_iterator<char>(in)), {});
    in.close();
    const std::string line = key + " = " + value + "\n";
    if (auto old = toml.find(key + " = "); old != std::string::npos) toml.erase(old, toml.find('\n', old) - old + 1);
    const std::string at = "name = \"" + node + "\"\n";
    if (!value.empty()) toml.insert(toml.find(at) + at.size(), line);
    std::ofstream(path) << toml;
}

}  // namespace

std::string_view rejoinName(Rejoin how) {
    switch (how) {
        case Rejoin::Lagging: return "lagging";
        case Rejoin::NewCopy: return "new (installs a copy)";
        case Rejoin::NewReplay: return "new (replays everything)";
    }
    return "?";
}

Doc benchCatchUp(zmq::context_t& ctx, const ClusterControl& cluster, int events, Rejoin how) {
    const NodeConfig& lagging = *cluster.replicas().back();  // never the route while another replica lives
    cluster.cli(fmt::format("kill {} --signal KILL", lagging.name));
    std::this_thread::sleep_for(Millis(200));
    uint64_t issued = 0;
    Doc byHistory = Doc::array();
    if (how == Rejoin::Lagging) {
        LoadSpec spec;
        spec.endpoints = cluster.gatewayEndpoints();
        spec.credentials = cluster.credentials();
        spec.clients = 64;
        spec.duration = Millis(3600000);  // --events of them, however long that takes (a bound, not a target)
        std::atomic<bool> stop{false};
        std::atomic<uint64_t> sent{0};
        spec.stop = &stop;
        auto products =
            call(ctx, cluster.credentials(), cluster.gatewayEndpoint(), Kind::Query, "products.list", {{"limit", 1}});
        const auto product = products.ok() && !products->body["items"].empty() ? products->body["items"][0]["id"] : Doc(1);
        spec.make = [&](uint64_t n) {
            if (n + 1 >= static_cast<uint64_t>(events)) stop = true;
            ++sent;
            return makeRequest(Kind::Command, "stock.receive", {{"product", product}, {"quantity", 1}}, "");
        };
        // The command path's rate as the history grows: one figure per tenth of --events.
        std::thread sampler([&] {
            const uint64_t step = std::max<uint64_t>(1, static_cast<uint64_t>(events) / 10);
            uint64_t mark = step, from = 0;
            auto at = steady::now();
            while (!stop) {
                std::this_thread::sleep_for(Millis(100));
                const uint64_t n = sent.load();
                if (n < mark && !stop) continue;
                const auto now = steady::now();
                const double secs = std::chrono::duration<double>(now - at).count();
                const auto rate = static_cast<int64_t>(static_cast<double>(n - from) / std::max(secs, 1e-3));
                fmt::print("  commands {:>9}..{:<9} {:>7} commands/s\n", from, n, rate);
                std::fflush(stdout);
                byHistory.push_back(Doc{{"from", from}, {"to", n}, {"commands_per_second", rate}});
                from = n, at = now, mark = (n / step + 1) * step;
            }
        });
        runLoad(ctx, spec);
        stop = true;
        sampler.join();
        issued = sent.load();
    }
    const uint64_t head = replicaSeq(ctx, cluster.credentials(), cluster.firstCommandNode().endpoint);
    if (how != Rejoin::Lagging) std::filesystem::remove_all(cluster.config().nodeDataDir(lagging.name));
    if (how == Rejoin::NewReplay) setNodeKey(cluster, lagging.name, "snapshot_min_lag", "0");
    std::error_code ec;
    const auto logFrom = std::filesystem::file_size(cluster.config().logsDir / (lagging.name + ".log"), ec);
    const auto start = steady::now();
    cluster.cli(fmt::format("start {}", lagging.name));
    if (how == Rejoin::NewReplay) setNodeKey(cluster, lagging.name, "snapshot_min_lag", "");
    // From the replica's first answer on: its own rate, without the process's start-up. One
    // connection, pinged every 5 ms (a new connection each time would cost a CURVE handshake of
    // CPU the replica needs).
    std::optional<steady::time_point> firstAnswer;
    uint64_t firstSeq = 0, seq = 0;
    Client probe(ctx, cluster.credentials(), lagging.endpoint);
    while (steady::now() - start < std::chrono::seconds(300)) {
        auto pong = probe.call(makeRequest(Kind::Control, "ping", Doc::object()), Millis(500), 1);
        seq = pong.ok() && pong->body.contains("seq") ? pong->body["seq"].get<uint64_t>() : seq;
        if (!firstAnswer && pong.ok()) firstAnswer = steady::now(), firstSeq = seq;
        if (seq >= head) break;
        std::this_thread::sleep_for(Millis(5));
    }
    const auto done = steady::now();
    const double secs = std::chrono::duration<double>(done - start).count();
    const double replaySecs = firstAnswer ? std::chrono::duration<double>(done - *firstAnswer).count() : 0;
    const uint64_t behind = how == Rejoin::Lagging ? issued : head;
    // A replica that had (nearly) caught up by its first answer leaves nothing to time: 0, and timed false.
    const bool timed = firstSeq < head && replaySecs >= 0.001;
    Doc report{{"behind_events", behind},
               {"how", std::string(rejoinName(how))},
               {"head", head},
               {"seconds", secs},
               {"events_per_second", static_cast<int64_t>(static_cast<double>(behind) / secs)},
               {"replay_seconds", replaySecs},
               {"replay_events_per_second",
                timed ? static_cast<int64_t>(static_cast<double>(head - firstSeq) / replaySecs) : 0},
               {"replay_timed", timed},
               {"caught_up", seq >= head},
               {"replica_reports", caughtUpLines(cluster, lagging.name, ec ? 0 : logFrom)}};
    if (!byHistory.empty()) report["commands_by_history"] = std::move(byHistory);
    return report;
}

std::string leaderOf(zmq::context_t& ctx, const ClusterControl& cluster) {
    for (const auto* n : cluster.config().nodesWith(Role::Command)) {
        auto pong = call(ctx, cluster.credentials(), n->endpoint, Kind::Control, "ping", Doc::object());
        if (pong.ok() && pong->body.value("standing", std::string()) == "leader") return n->name;
    }
    return cluster.firstCommandNode().name;
}

namespace {

// One failover measurement: `fault` (KILL or STOP) of `node` a moment into a load, recovery a
// moment later; figures from the load's samples and the monitor's transition log.
struct FailoverCase {
    std::string key;     // in the report
    std::string node;
    std::string signal;  // KILL or STOP
    bool commands;       // a command load (through the brokers) instead of a query load
};

Doc measureFailover(zmq::context_t& ctx, const ClusterControl& cluster, int clients, const FailoverCase& f) {
    std::atomic<bool> stop{false};
    LoadSpec spec;
    spec.endpoints = cluster.gatewayEndpoints();
    spec.credentials = cluster.credentials();
    spec.clients = clients;
    spec.duration = Millis(600000);
    spec.stop = &stop;
    if (f.commands) {
        auto products = call(ctx, cluster.credentials(), cluster.gatewayEndpoint(), Kind::Query, "products.list",
                             {{"limit", 1}});
        const Doc product =
            products.ok() && !products->body["items"].empty() ? products->body["items"][0]["id"] : Doc(1);
        spec.make = [product](uint64_t) {
            return makeRequest(Kind::Command, "stock.receive", {{"product", product}, {"quantity", 1}}, "");
        };
    } else {
        spec.make = queryMaker(ctx, cluster);
    }
    LoadResult result;
    std::thread load([&] { result = runLoad(ctx, spec); });
    std::this_thread::sleep_for(Millis(1500));
    const int64_t faultAt = nowWallMs();
    cluster.cli(fmt::format("kill {} --signal {}", f.node, f.signal));
    std::this_thread::sleep_for(Millis(1500));
    const int64_t recoverAt = nowWallMs();
    if (f.signal == "KILL") cluster.cli(fmt::format("start {}", f.node));
    else cluster.cli(fmt::format("kill {} --signal CONT", f.node));
    std::this_thread::sleep_for(Millis(2000));
    stop = true;
    load.join();
    // "Z query-1 DOWN": the monitor's own line, not a gateway REROUTE line that quotes the reason.
    const int64_t down = firstTransition(cluster, fmt::format("Z {} DOWN", f.node), faultAt);
    Doc d = summary(result);
    d["node"] = f.node;
    d["fault"] = f.signal == "KILL" ? "kill -9" : "SIGSTOP";
    d["load"] = f.commands ? "commands" : "queries";
    d["client_failovers"] = result.failovers;
    d["monitor_detection_ms"] = down ? down - faultAt : -1;
    if (f.node.rfind("command", 0) == 0) {
        const int64_t leader = firstTransition(cluster, " LEADER (epoch", faultAt);
        d["new_leader_ms"] = leader ? leader - faultAt : -1;
    }
    if (f.node.rfind("query", 0) == 0) {
        const int64_t reroute = firstTransition(cluster, fmt::format("REROUTE {} -> ", f.node), faultAt - 1000);
        const int64_t back = firstTransition(cluster, "(fail-back)", recoverAt);
        d["gateway_reroute_ms"] = reroute ? std::max<int64_t>(0, reroute - faultAt) : -1;
        d["fail_back_ms"] = back ? back - recoverAt : -1;
    }
    // Where the longest client-visible gap was: around the fault, or around the recovery.
    const int64_t gapEndMs = result.startWallMs + result.longestGapEndUs() / 1000;
    d["longest_gap_ended_after_fault_ms"] = gapEndMs - faultAt;
    d["longest_gap_ended_after_recovery_ms"] = gapEndMs - recoverAt;
    return d;
}

}  // namespace

Doc benchFailover(zmq::context_t& ctx, const ClusterControl& cluster, int clients) {
    Doc out = Doc::object();
    const std::string replica = cluster.first(Role::Query);  // the route while it lives
    std::vector<FailoverCase> cases = {{"kill_9", replica, "KILL", false}, {"sigstop", replica, "STOP", false}};
    // A gateway or a broker can only fail over to another one.
    if (cluster.config().nodesWith(Role::Gateway).size() > 1) {
        cases.push_back({"gateway_kill_9", cluster.first(Role::Gateway), "KILL", false});
        cases.push_back({"gateway_sigstop", cluster.first(Role::Gateway), "STOP", false});
    }
    if (cluster.config().nodesWith(Role::Broker).size() > 1)
        cases.push_back({"broker_kill_9", cluster.first(Role::Broker), "KILL", true});
    for (const auto& f : cases) out[f.key] = measureFailover(ctx, cluster, clients, f);
    if (cluster.config().replicated()) out.update(benchLeaderFailover(ctx, cluster, clients, 1));
    return out;
}

namespace {

// The stock of the product the command load raises (products.list's first item), or -1.
int64_t loadStock(zmq::context_t& ctx, const ClusterControl& cluster) {
    auto r = call(ctx, cluster.credentials(), cluster.gatewayEndpoint(), Kind::Query, "products.list", {{"limit", 1}});
    if (!r.ok() || r->kind != Kind::Reply || r->body.value("items", Doc::array()).empty()) return -1;
    return r->body["items"][0].value("stock", int64_t{-1});
}

// Waits (10 s at most) until the replicas show `expected`; what they show then.
int64_t settledStock(zmq::context_t& ctx, const ClusterControl& cluster, int64_t expected) {
    int64_t now = loadStock(ctx, cluster);
    for (int i = 0; i < 100 && now != expected; ++i) {
        std::this_thread::sleep_for(Millis(100));
        now = loadStock(ctx, cluster);
    }
    return now;
}

int64_t p50(std::vector<int64_t> v) {
    if (v.empty()) return -1;
    std::sort(v.begin(), v.end());
    return v[(v.size() - 1) / 2];
}

}  // namespace

// Each trial faults whoever leads then; every trial's load runs until each request has an answer,
// so with none failed the stock must rise by exactly the acknowledged count: anything else is a
// command lost or applied twice.
Doc benchLeaderFailover(zmq::context_t& ctx, const ClusterControl& cluster, int clients, int trials) {
    Doc out = Doc::object();
    int64_t stock = settledStock(ctx, cluster, loadStock(ctx, cluster));
    for (const auto& [key, sig] : {std::pair{"leader_kill_9", "KILL"}, std::pair{"leader_sigstop", "STOP"}}) {
        Doc runs = Doc::array();
        std::vector<int64_t> gaps, leaders;
        int64_t failed = 0, wrong = 0, maxLatency = 0;
        for (int t = 0; t < trials; ++t) {
            Doc d = measureFailover(ctx, cluster, clients, {key, leaderOf(ctx, cluster), sig, true});
            const int64_t acked = d.value("ok", int64_t{0});
            const int64_t after = settledStock(ctx, cluster, stock + acked);
            d["acknowledged"] = acked;
            d["applied"] = after - stock;
            d["lost_or_doubled"] = after - stock - acked;
            stock = after;
            gaps.push_back(d.value("longest_gap_us", int64_t{0}));
            leaders.push_back(d.value("new_leader_ms", int64_t{-1}));
            failed += d.value("failed", int64_t{0});
            wrong += std::abs(d.value("lost_or_doubled", int64_t{0}));
            maxLatency = std::max(maxLatency, d.value("max_us", int64_t{0}));
            fmt::print("  {} trial {:>2}: {} of {}: longest gap between acks {} ms, new leader after {} ms, failed {}, "
                       "lost or doubled {}\n",
                       key, t + 1, d.value("fault", std::string()), d.value("node", std::string()),
                       d.value("longest_gap_us", int64_t{0}) / 1000, d.value("new_leader_ms", int64_t{-1}),
                       d.value("failed", int64_t{0}), d.value("lost_or_doubled", int64_t{0}));
            std::fflush(stdout);
            runs.push_back(std::move(d));
        }
        const Doc& last = runs.back();
        out[key] = {{"fault", last.value("fault", std::string())},
                    {"node", trials == 1 ? last.value("node", std::string()) : std::string("the leader")},
                    {"load", "commands"},
                    {"monitor_detection_ms", last.value("monitor_detection_ms", int64_t{-1})},
                    {"client_failovers", last.value("client_failovers", int64_t{0})},
                    {"longest_gap_us", *std::max_element(gaps.begin(), gaps.end())},
                    {"trials", trials},
                    {"failed", failed},
                    {"lost_or_doubled", wrong},
                    {"longest_gap_p50_us", p50(gaps)},
                    {"longest_gap_max_us", *std::max_element(gaps.begin(), gaps.end())},
                    {"new_leader_p50_ms", p50(leaders)},
                    {"new_leader_max_ms", *std::max_element(leaders.begin(), leaders.end())},
                    {"max_us", maxLatency},
                    {"runs", std::move(runs)}};
    }
    return out;
}

Doc benchGatewaySpread(zmq::context_t& ctx, const ClusterControl& cluster, int clients, Millis duration, int rounds) {
    const int gateways = static_cast<int>(cluster.config().nodesWith(Role::Gateway).size());
    Doc one = Doc::array(), all = Doc::array();
    for (int r = 0; r < rounds; ++r) {
        one.push_back(benchQueries(ctx, cluster, clients, duration, 0, true, 1));
        all.push_back(benchQueries(ctx, cluster, clients, duration, 0, true, gateways));
    }
    auto median = [](const Doc& runs) {
        std::vector<int64_t> v;
        for (const auto& d : runs) v.push_back(d.value("per_second", int64_t{0}));
        std::sort(v.begin(), v.end());
        return v.empty() ? int64_t{0} : v[v.size() / 2];
    };
    const int64_t m1 = median(one), mAll = median(all);
    return Doc{{"clients", clients},
               {"gateways", gateways},
               {"one_gateway", one},
               {"all_gateways", all},
               {"one_gateway_median_per_second", m1},
               {"all_gateways_median_per_second", mAll},
               {"ratio", m1 > 0 ? static_cast<double>(mAll) / static_cast<double>(m1) : 0.0}};
}

Doc benchConnections(zmq::context_t& ctx, const ClusterControl& cluster, Millis duration) {
    const auto start = std::chrono::steady_clock::now();
    const auto end = start + duration;
    uint64_t ok = 0, failed = 0;
    while (std::chrono::steady_clock::now() < end) {
        Client c(ctx, cluster.credentials(), cluster.gatewayEndpoint());
        auto r = c.call(makeRequest(Kind::Control, "ping", Doc::object()), Millis(2000), 1);
        (r.ok() && r->kind == Kind::Control ? ok : failed)++;
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return {{"target", "connect+ping"}, {"ok", ok}, {"failed", failed},
            {"per_second", static_cast<int64_t>(static_cast<double>(ok) / secs)}};
}

Doc daemonMemory(const ClusterControl& cluster) {
    Doc d = Doc::object();
    for (const auto& n : cluster.config().nodes) d[n.name] = cluster.rssKiB(n.name);
    return d;
}

}  // namespace jupiter::bench
