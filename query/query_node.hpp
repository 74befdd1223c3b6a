// The query node daemon: keeps its own RocksDB read model in step with the event log (Replicator)
// and answers queries, pings and digests on its ROUTER endpoint from the same loop that publishes
// its heartbeat. A query that asks for a sequence this replica has not applied yet (read your own
// writes) waits here, a bounded time, instead of being answered stale.
#pragma once

#include <deque>
#include <optional>

#include <zmq.hpp>

#include "bus/heartbeat.hpp"
#include "bus/bus_reader.hpp"
#include "bus/leader_tracker.hpp"
#include "bus/request.hpp"
#include "node/daemon.hpp"
#include "common/event_loop.hpp"
#include "node/links.hpp"
#include "node/node_core.hpp"
#include "query/query_metrics.hpp"
#include "query/read_wait.hpp"
#include "query/replicator.hpp"
#include "query/snapshot_installer.hpp"
#include "store/store.hpp"

namespace jupiter {

class QueryNode {
public:
    // Binds its endpoint and connects to the brokers and the command node; throws with a hint
    // when the address is taken.
    QueryNode(zmq::context_t& ctx, const DaemonContext& dc, const Clock& clock, Store& store);
    // Serves until SIGTERM or SIGINT: start(), then the event loop. Returns the exit code.
    int run();
    // Registers the handlers and timers and announces the node, without signals or the loop's
    // run(): in-process tests (tests/inprocess/) then turn loop() themselves on a ManualClock.
    void start();
    EventLoop& loop() { return core_.loop(); }

private:
    void onRequest();
    void onBus();
    void onReplayReply(const std::string& from, const Envelope& reply);
    // Whether a live batch of `epoch` is the leader's: signed with the key of the node leading it.
    bool fromLeader(const BusMessage& m, uint64_t epoch);
    void onTimer();
    void paceTimer();
    void park(Request& req, Envelope& env);
    void probeHead();
    void onHeadProbe(const std::string& node, const Envelope& pong);
    void refuse(const ReadWait::Refused& r);
    void onHeartbeatTimer();
    void answer(const Frames& route, const Envelope& q);
    void afterApply(const Result<std::size_t>& r);
    void onStuck();  // the replicator just stopped at an event it cannot apply
    // Answers `unavailable` to a query for a sequence past the event this replica is stuck at.
    void refuseStuck(const Frames& route, const Envelope& q);
    void requestReplayIfDue();
    // Installing a copy of a command node's state instead of replaying (new or far behind).
    bool installWanted() const;
    void startInstall(const std::string& why);
    void sendInstallRequests();
    void onSourceReply();
    bool droppedByTestHook(const Doc& events);

    const DaemonContext& dc_;
    const Clock& clock_;
    Store& store_;
    NodeCore core_;  // before every socket: its gatekeeper, wiring and loop
    Replicator replicator_;
    QueryMetrics metrics_;
    zmq::socket_t router_;  // queries, pings, digests
    zmq::socket_t sub_;     // events and the command nodes' heartbeats
    zmq::socket_t pub_;     // our heartbeat
    // ROUTER to the command nodes by name: replay, state copies and head probes go to the leader
    // (each answer comes from the node whose key the link proved).
    PeerPool sources_;
    SnapshotInstaller installer_;
    std::string leader_;    // the leading command node, from its heartbeat
    LeaderTracker leaders_; // the head as the leader says it (no other node's claim moves it)
    HeartbeatPublisher heartbeat_;
    ReadWait waits_;  // queries waiting for a sequence (read your writes)
    uint64_t dropLiveEvery_ = 0;  // test hook (drop_live_batches_every): drops every Nth live batch
    uint64_t liveBatches_ = 0;     // distinct live batches seen (each broker delivers its own copy)
    uint64_t newestBatchEnd_ = 0;  // the last sequence of the newest distinct batch
    std::deque<uint64_t> droppedEnds_;  // last sequences of recently dropped batches (their copies go too)
    uint64_t epoch_ = 0;          // the newest leadership epoch heard of (events of older ones are refused)
    uint64_t staleBatches_ = 0;
    std::optional<std::pair<TimePoint, uint64_t>> catchUp_;  // since when, and from which sequence, we replay
    std::optional<EventLoop::TimerId> fastTimer_;  // onTimer every 10 ms, while busy (paceTimer)
};

}  // namespace jupiter
