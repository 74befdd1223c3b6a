// The chaos experiment's sequence; see experiment.hpp.
#include "chaos/experiment.hpp"

#include <unistd.h>

#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "client/client.hpp"
#include "client/failover_client.hpp"
#include "client/verify.hpp"

namespace jupiter::chaos {
namespace {

using Steady = std::chrono::steady_clock;

constexpr Millis kQueryTimeout{15000};    // beyond the gateway's own deadline, so its error arrives first
constexpr Millis kAllUpTimeout{20000};    // after the last recovery, for the monitor to call every replica UP
constexpr Millis kSettle{500};            // load kept running after that, so the timeline shows it
constexpr Millis kVerifyWait{30000};

struct Probe {
    uint64_t id = 0;
    uint64_t seq = 0;
};

// The product the command stream adds stock to: new, so its stock counts only this run's commands.
Probe createProbeProduct(zmq::context_t& ctx, const bench::ClusterControl& cluster) {
    FailoverClient gw(ctx, cluster.credentials(), cluster.gatewayEndpoints());
    const auto code = fmt::format("CHAOS-{}-{}", getpid(), SystemClock().wallMs());
    auto r = gw.call(makeRequest(Kind::Command, "product.create",
                                 {{"code", code}, {"description", "jupiter-chaos probe"}, {"price", 1}}),
                     Millis(15000));
    if (!r.ok()) throw std::runtime_error("cannot create the probe product through the gateway: " + r.error().message);
    if (r->kind != Kind::Reply) throw std::runtime_error("the gateway refused the probe product: " + r->body.dump());
    return {r->body.value("id", uint64_t{0}), r->seq.value_or(r->body.value("seq", uint64_t{0}))};
}

// True once the monitor's last word on every query replica is UP.
bool allReplicasUp(const bench::ClusterControl& cluster) {
    const auto all = readTransitions(cluster.config().transitionLog());
    for (const auto* q : cluster.replicas()) {
        std::string last = "UP";
        for (const auto& t : all)
            if (t.node == q->name && (t.event == "UP" || t.event == "DOWN")) last = t.event;
        if (last != "UP") return false;
    }
    return true;
}

Convergence checkConvergence(zmq::context_t& ctx, const bench::ClusterControl& cluster, uint64_t product,
                             const CommandStats& commands) {
    Convergence c;
    auto v = verifyCluster(ctx, cluster.credentials(), cluster.config(), kVerifyWait);
    if (v.ok()) {
        c.verified = v->agree;
        c.verify = v->toDoc();
    } else {
        c.verifyError = v.error().message;
    }
    c.exactlyOnce = commands.unresolved == 0;
    for (const auto* q : cluster.replicas()) {
        Client replica(ctx, cluster.credentials(), q->endpoint);
        Envelope req = makeRequest(Kind::Query, "product.get", {{"id", product}});
        // Only a replica that has applied the last acknowledged command may answer.
        req.minSeq = commands.maxSeq;
        auto r = replica.call(req, Millis(10000), 2);
        const int64_t stock = r.ok() && r->kind == Kind::Reply ? r->body.value("stock", int64_t{-1}) : -1;
        c.stock[q->name] = stock;
        const auto acked = static_cast<int64_t>(commands.acked);
        if (stock != acked) c.exactlyOnce = false;
        if (stock >= 0 && stock < acked) c.lost = std::max(c.lost, static_cast<uint64_t>(acked - stock));
        if (stock > acked) c.appliedTwice = std::max(c.appliedTwice, static_cast<uint64_t>(stock - acked));
    }
    return c;
}

}  // namespace

ChaosRun runExperiment(zmq::context_t& ctx, const bench::ClusterControl& cluster, const ChaosOptions& options,
                       const std::atomic<bool>& interrupt) {
    ChaosRun run;
    run.queryClients = options.queryClients;
    for (const auto* n : cluster.replicas()) run.replicas.push_back(n->name);
    for (Role role : {Role::Gateway, Role::Broker, Role::Command})
        for (const auto* n : cluster.config().nodesWith(role)) run.spares.push_back(n->name);
    const Probe probe = createProbeProduct(ctx, cluster);
    run.product = probe.id;

    bench::LoadSpec spec;
    spec.endpoints = cluster.gatewayEndpoints();
    spec.credentials = cluster.credentials();
    spec.clients = options.queryClients;
    spec.duration = Millis(24L * 3600 * 1000);  // ended by `stopLoad`
    spec.requestTimeout = kQueryTimeout;
    std::atomic<bool> stopLoad{false};
    spec.stop = &stopLoad;
    // Half short product listings, half whole-inventory sums: answers of the same size all run long
    // (product.get of the probe would grow to a page of 100 stock entries as the command stream adds them).
    // minSeq makes a replica that has not yet seen the probe wait for it.
    spec.make = [&probe](uint64_t n) {
        Envelope e = n % 2 == 0 ? makeRequest(Kind::Query, "products.list", {{"limit", 10}}, "")
                                : makeRequest(Kind::Query, "inventory.value", Doc::object(), "");
        e.minSeq = probe.seq;
        return e;
    };
    std::atomic<int64_t> loadStartMs{0};
    std::thread load([&] {
        loadStartMs = SystemClock().wallMs();
        run.queries = bench::runLoad(ctx, spec);
    });
    while (loadStartMs.load() == 0) std::this_thread::sleep_for(Millis(1));
    run.startMs = loadStartMs.load();

    FaultInjector injector(cluster, options);
    {
        CommandStream commands(ctx, cluster.credentials(), cluster.gatewayEndpoints(), probe.id, options.commandPeriod);
        try {
            injector.run(Steady::now() + options.duration, interrupt);
            run.faultsEndMs = SystemClock().wallMs();
            const auto deadline = Steady::now() + kAllUpTimeout;
            while (!allReplicasUp(cluster) && Steady::now() < deadline) std::this_thread::sleep_for(Millis(50));
            if (!allReplicasUp(cluster))
                run.notes.push_back(fmt::format("not every replica was UP {} s after the last recovery",
                                                kAllUpTimeout.count() / 1000));
            std::this_thread::sleep_for(kSettle);
        } catch (...) {
            stopLoad = true;
            load.join();
            throw;
        }
        run.commands = commands.finish();
    }
    stopLoad = true;
    load.join();
    run.endMs = SystemClock().wallMs();
    run.faults = injector.faults();
    for (const auto& n : injector.notes()) run.notes.push_back(n);

    run.convergence = checkConvergence(ctx, cluster, probe.id, run.commands);
    run.transitions = readTransitions(cluster.config().transitionLog());
    return run;
}

}  // namespace jupiter::chaos
