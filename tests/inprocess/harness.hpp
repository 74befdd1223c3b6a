// In-process clusters: the daemon classes themselves (Broker, CommandNode, QueryNode, GatewayNode,
// MonitorNode) built in the test's process from a generated configuration, as `jupiter up` would
// start them, but on one ManualClock and turned by the test (EventLoop::pollOnce), so a test of
// failover, liveness or replication runs in milliseconds and no deadline depends on how busy the
// machine is. Each node keeps what makes it a node: its own ZeroMQ context (and so its own ZAP
// handler), its keys and CurveZMQ on every link, its RocksDB store, its log file; links are
// loopback TCP on free ports, so every byte goes through the real sockets.
//
// Time moves only in advance(): the clock steps `tick` at a time and, after each step, every
// running node is turned until the whole cluster has been quiet for a moment of real time
// (messages on loopback arrive in microseconds). A node's deadlines therefore pass only when the
// cluster has had every chance to meet them, which is what makes the answers repeatable.
//
// One thing still runs on real time: ZeroMQ's reconnection to a restarted node (a matter of
// milliseconds), so a test that needs the new connection asks until it is answered
// (askUntilReply).
//
// Faults are calls: freeze (its loop is no longer turned, as with SIGSTOP: its connections stay
// open and nothing is answered), drop (the object is destroyed: its connections close, as when a
// process dies) and restart (built again on the same store and keys).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "client/client.hpp"
#include "common/clock.hpp"
#include "common/config.hpp"
#include "security/credentials.hpp"
#include "temp_dir.hpp"

namespace jupiter::testing {

class InProcessCluster {
public:
    // Every node of `layout` (a layout with several command nodes needs etcd: not in process),
    // with `edit` applied to the generated configuration. Turns the cluster for `warmUp` of manual
    // time, so that every node has heard every other.
    explicit InProcessCluster(const Layout& layout, const std::function<std::string(std::string)>& edit = {},
                              Millis warmUp = Millis(1000));
    ~InProcessCluster();
    InProcessCluster(const InProcessCluster&) = delete;
    InProcessCluster& operator=(const InProcessCluster&) = delete;

    const Config& config() const { return config_; }
    ManualClock& clock() { return clock_; }
    // The nodes of a role, in configured order.
    std::vector<std::string> nodes(Role role) const;

    // Turns each running, unfrozen node's loop once, without waiting; how many handlers and
    // timers ran.
    int turn();
    // Turns until nothing has run anywhere for `quiet` of real time, or `budget` has passed;
    // returns whether it went quiet.
    bool settle(Millis quiet = Millis(3), Millis budget = Millis(5000));
    // Moves the clock `d` forward, `tick` at a time, settling after each step.
    void advance(Millis d, Millis tick = Millis(10));
    // Moves the clock on, `tick` at a time, until `cond` holds (checked after each settle) or
    // `limit` of manual time has passed; returns whether it held.
    bool advanceUntil(const std::function<bool()>& cond, Millis limit, Millis tick = Millis(10));

    // How many handlers and timers `node`'s loop has run so far (what an idle node costs).
    uint64_t ran(const std::string& node) const;

    void freeze(const std::string& node);
    void thaw(const std::string& node);
    void drop(const std::string& node);
    void restart(const std::string& node);
    bool running(const std::string& node) const;

    // Sends `req` to `node` (a gateway, a replica) from a client with the admin key, then moves
    // the clock on until its answer comes, for at most `limit` of manual time.
    std::optional<Envelope> ask(const std::string& node, const Envelope& req, Millis limit = Millis(3000));
    // Asks with a new request from `make` until the answer is a reply (not an error) or `limit`
    // of manual time has passed; the last answer. For the moment after a restart: ZeroMQ
    // reconnects in real time, which the manual clock does not move.
    std::optional<Envelope> askUntilReply(const std::string& node, const std::function<Envelope()>& make,
                                          Millis limit = Millis(5000));
    // Sends without waiting (answers are collected with collect()).
    void send(const std::string& node, const Envelope& req);
    // The answers that came to `node`'s client so far.
    std::vector<Envelope> collect(const std::string& node);
    // Moves the clock on until `count` answers have come to `node`'s client, for at most `limit`
    // of manual time; what came.
    std::vector<Envelope> awaitAnswers(const std::string& node, std::size_t count, Millis limit = Millis(3000));

    // Lines of the monitor's transition log.
    std::vector<std::string> transitions() const;
    // Lines of a node's log.
    std::vector<std::string> logLines(const std::string& node) const;

private:
    struct Node;
    void build(const std::string& name);
    Client& client(const std::string& node);

    TempDir dir_{"inprocess"};
    ManualClock clock_;
    Config config_;
    std::vector<std::string> order_;  // every node, in configured order
    std::map<std::string, std::unique_ptr<Node>> nodes_;
    zmq::context_t clientCtx_{1};
    Credentials clientKeys_ = Credentials::none();
    std::map<std::string, std::unique_ptr<Client>> clients_;
};

}  // namespace jupiter::testing
