// In-process clusters; see harness.hpp.
#include "inprocess/harness.hpp"

#include <chrono>
#include <thread>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "broker/broker.hpp"
#include "cli/cluster_keys.hpp"
#include "command/command_node.hpp"
#include "node/daemon.hpp"
#include "common/ports.hpp"
#include "gateway/gateway_node.hpp"
#include "monitor/monitor_node.hpp"
#include "query/query_node.hpp"
#include "store/store.hpp"
#include "tests/text.hpp"

namespace jupiter::testing {

// Members go in reverse order: the daemon (closing its sockets), its store, then its context.
struct InProcessCluster::Node {
    std::string name;
    std::unique_ptr<zmq::context_t> ctx;
    DaemonContext dc;
    std::unique_ptr<Store> store;
    std::shared_ptr<void> daemon;  // the Broker, CommandNode, ...
    EventLoop* loop = nullptr;
    bool frozen = false;
    uint64_t ran = 0;  // handlers and timers its loop has run
};

namespace {

template <typename Daemon, typename... Args>
std::shared_ptr<void> startDaemon(EventLoop*& loop, Args&&... args) {
    auto d = std::make_shared<Daemon>(std::forward<Args>(args)...);
    d->start();
    loop = &d->loop();
    return d;
}

}  // namespace

InProcessCluster::InProcessCluster(const Layout& layout, const std::function<std::string(std::string)>& edit,
                                   Millis warmUp) {
    REQUIRE_MESSAGE(layout.commands == 1, "several command nodes elect a leader through etcd: use a scenario");
    const int base = findFreePortRange(portsUsed(layout));
    REQUIRE(base != 0);
    const std::string toml = defaultConfigToml(dir_.path, base, layout);
    auto cfg = parseConfig(edit ? edit(toml) : toml, "");
    REQUIRE_MESSAGE(cfg, (cfg ? "" : cfg.error().message));
    config_ = std::move(*cfg);
    std::filesystem::create_directories(config_.logsDir);
    auto keys = cli::ensureClusterKeys(config_);
    REQUIRE_MESSAGE(keys, (keys ? "" : keys.error().message));
    auto client = Credentials::forClient(config_, "");
    REQUIRE_MESSAGE(client, (client ? "" : client.error().message));
    clientKeys_ = std::move(*client);
    for (const auto& n : config_.nodes) order_.push_back(n.name);
    for (const auto& name : order_) build(name);
    advance(warmUp);
}

InProcessCluster::~InProcessCluster() {
    clients_.clear();
    nodes_.clear();
}

void InProcessCluster::build(const std::string& name) {
    const NodeConfig* self = config_.node(name);
    REQUIRE(self != nullptr);
    auto n = std::make_unique<Node>();
    n->name = name;
    n->ctx = std::make_unique<zmq::context_t>(1);
    n->dc.config = config_;
    n->dc.node = n->dc.config.node(name);
    n->dc.log = makeLogger(name, config_.logFile(name).string());
    n->dc.metrics = std::make_shared<Metrics>(name);
    auto credentials = Credentials::forNode(n->dc.config, *n->dc.node);
    REQUIRE_MESSAGE(credentials, (credentials ? "" : credentials.error().message));
    n->dc.credentials = std::move(*credentials);
    if (self->role == Role::Query || self->role == Role::Command) {
        auto store = Store::open(config_.nodeDataDir(name), {});
        REQUIRE_MESSAGE(store, (store ? "" : store.error().message));
        n->store = std::move(*store);
    }
    switch (self->role) {
    case Role::Broker: n->daemon = startDaemon<Broker>(n->loop, *n->ctx, n->dc, clock_); break;
    case Role::Command: n->daemon = startDaemon<CommandNode>(n->loop, *n->ctx, n->dc, clock_, *n->store); break;
    case Role::Query: n->daemon = startDaemon<QueryNode>(n->loop, *n->ctx, n->dc, clock_, *n->store); break;
    case Role::Gateway: n->daemon = startDaemon<GatewayNode>(n->loop, *n->ctx, n->dc, clock_); break;
    case Role::Monitor: n->daemon = startDaemon<MonitorNode>(n->loop, *n->ctx, n->dc, clock_); break;
    }
    REQUIRE(n->loop != nullptr);
    nodes_[name] = std::move(n);
}

std::vector<std::string> InProcessCluster::nodes(Role role) const {
    std::vector<std::string> out;
    for (const auto* n : config_.nodesWith(role)) out.push_back(n->name);
    return out;
}

int InProcessCluster::turn() {
    int ran = 0;
    for (const auto& name : order_) {
        auto it = nodes_.find(name);
        if (it == nodes_.end() || it->second->frozen) continue;
        const int n = it->second->loop->pollOnce(Millis(0));
        it->second->ran += static_cast<uint64_t>(n);
        ran += n;
    }
    return ran;
}

uint64_t InProcessCluster::ran(const std::string& node) const {
    auto it = nodes_.find(node);
    REQUIRE(it != nodes_.end());
    return it->second->ran;
}

bool InProcessCluster::settle(Millis quiet, Millis budget) {
    using Steady = std::chrono::steady_clock;
    const auto start = Steady::now();
    auto lastActivity = start;
    while (Steady::now() - start < budget) {
        if (turn() > 0) {
            lastActivity = Steady::now();
            continue;
        }
        if (Steady::now() - lastActivity >= quiet) return true;
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    return false;
}

void InProcessCluster::advance(Millis d, Millis tick) {
    for (Millis done{0}; done < d; done += tick) {
        clock_.advance(std::min(tick, d - done));
        settle();
    }
}

bool InProcessCluster::advanceUntil(const std::function<bool()>& cond, Millis limit, Millis tick) {
    settle();
    if (cond()) return true;
    for (Millis done{0}; done < limit; done += tick) {
        clock_.advance(tick);
        settle();
        if (cond()) return true;
    }
    return false;
}

void InProcessCluster::freeze(const std::string& node) {
    REQUIRE(running(node));
    nodes_.at(node)->frozen = true;
}

void InProcessCluster::thaw(const std::string& node) {
    REQUIRE(running(node));
    nodes_.at(node)->frozen = false;
}

void InProcessCluster::drop(const std::string& node) {
    REQUIRE(running(node));
    nodes_.erase(node);
}

void InProcessCluster::restart(const std::string& node) {
    if (running(node)) drop(node);
    build(node);
}

bool InProcessCluster::running(const std::string& node) const { return nodes_.count(node) > 0; }

Client& InProcessCluster::client(const std::string& node) {
    auto& c = clients_[node];
    if (!c) {
        const NodeConfig* n = config_.node(node);
        REQUIRE(n != nullptr);
        c = std::make_unique<Client>(clientCtx_, clientKeys_, n->endpoint);
    }
    return *c;
}

void InProcessCluster::send(const std::string& node, const Envelope& req) { REQUIRE(client(node).send(req)); }

std::vector<Envelope> InProcessCluster::collect(const std::string& node) {
    std::vector<Envelope> out;
    while (auto e = client(node).receive(Millis(0))) out.push_back(std::move(*e));
    return out;
}

std::vector<Envelope> InProcessCluster::awaitAnswers(const std::string& node, std::size_t count, Millis limit) {
    std::vector<Envelope> answers;
    advanceUntil(
        [&] {
            for (auto& e : collect(node)) answers.push_back(std::move(e));
            return answers.size() >= count;
        },
        limit);
    return answers;
}

std::optional<Envelope> InProcessCluster::ask(const std::string& node, const Envelope& req, Millis limit) {
    send(node, req);
    std::optional<Envelope> answer;
    advanceUntil(
        [&] {
            for (auto& e : collect(node))
                if (e.id == req.id) answer = std::move(e);
            return answer.has_value();
        },
        limit);
    return answer;
}

std::optional<Envelope> InProcessCluster::askUntilReply(const std::string& node, const std::function<Envelope()>& make,
                                                        Millis limit) {
    const TimePoint until = clock_.now() + limit;
    std::optional<Envelope> answer;
    while (true) {
        answer = ask(node, make(), limit);
        if ((answer && answer->kind == Kind::Reply) || clock_.now() >= until) return answer;
        std::this_thread::sleep_for(Millis(5));  // the reconnection's time, which is real
        advance(Millis(50));
    }
}

std::vector<std::string> InProcessCluster::transitions() const { return readLines(config_.transitionLog()); }

std::vector<std::string> InProcessCluster::logLines(const std::string& node) const {
    return readLines(config_.logFile(node));
}

}  // namespace jupiter::testing
