// The command node daemon: takes commands from the broker, runs them through the
// CommandProcessor (one group commit per turn of the loop), replies, publishes the new events on
// the bus, serves replays of its event log to query nodes that missed something, and heartbeats
// its head sequence so replicas know how far behind they are.
//
// With several command nodes (replicated), one leads and the others are standbys:
// - leadership comes from etcd through the Elector thread, which reports over an inproc PAIR;
// - every group the leader commits is also an entry of its ReplicationLog; standbys fetch the
//   entries (long-polling the leader over CommandPeers), apply them in one synced write and fetch
//   again, which acknowledges them;
// - the leader answers the group's commands and publishes its events only once one standby holds
//   the entry (its commit index reached it) and its lease is certainly alive;
// - a standby, or a leader without a live standby, refuses commands with `unavailable`, naming
//   the leader or what is missing, and the gateway resends them (same request id).
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>

#include <zmq.hpp>

#include "bus/heartbeat.hpp"
#include "bus/request.hpp"
#include "command/command_metrics.hpp"
#include "command/command_processor.hpp"
#include "election/elector.hpp"
#include "election/leadership.hpp"
#include "command/replication_log.hpp"
#include "command/snapshot_source.hpp"
#include "node/daemon.hpp"
#include "common/event_loop.hpp"
#include "node/links.hpp"
#include "node/node_core.hpp"
#include "store/store.hpp"

namespace jupiter {

class CommandNode {
public:
    // Binds its endpoint and connects to the brokers; throws with a hint when the address is taken.
    CommandNode(zmq::context_t& ctx, const DaemonContext& dc, const Clock& clock, Store& store);
    ~CommandNode();
    // Serves until SIGTERM or SIGINT: start(), then the event loop. Returns the exit code.
    int run();
    // Registers the handlers and timers and announces the node, without signals or the loop's
    // run(): in-process tests (tests/inprocess/) then turn loop() themselves on a ManualClock.
    void start();
    EventLoop& loop() { return core_.loop(); }

private:
    // Commands, control and heartbeats (command_node.cpp).
    void onCommand();
    void onControl();
    void onHeartbeatTimer();
    void publishHeartbeat();
    void onPeerEvents();  // the peers' connections: a standby that loses its leader's tells the elector  // our standing, leader, epoch and sequence, now
    void publishEvents(const Doc& events);
    void sendReplies(std::vector<CommandProcessor::Reply>& replies);
    Envelope answerControl(Envelope& env);
    PointStanding standing(const SnapshotPoint& p) const;
    SnapshotPoint snapshotPoint() const;

    // Replication (command_node_replication.cpp); only with several command nodes.
    struct Held {  // a committed group waiting for a standby's copy
        uint64_t index = 0;
        TimePoint since{};
        std::vector<CommandProcessor::Reply> replies;
        Doc events;
    };
    struct Follower {  // a standby as the leader sees it
        uint64_t acked = 0;   // it holds entries up to here
        TimePoint seen{};
        std::optional<Frames> waiting;  // its fetch, held until there is something new
        std::string waitingId;
        uint64_t from = 0;
        TimePoint deadline{};
    };
    bool replicated() const { return replog_ != nullptr; }
    void startReplication(zmq::context_t& ctx);
    std::optional<std::string> refusal() const;
    void onElector();
    void onPeers();
    void onReplicationTimer();
    void serveFence(Request& req, const Envelope& env);
    std::optional<Error> notFromPeer(const Request& req, const std::string& name, std::string_view what);
    void suspectSilentLeader(TimePoint now);
    void becomeLeader(uint64_t epoch, TimePoint validUntil);
    void stepDown(const std::string& why);
    void serveFetch(Request& req, const Envelope& env);
    void answerFetch(Follower& f);
    void advanceCommit();
    void release();
    void sendFetch();
    void onFetchReply(const Envelope& reply, const Frames& frames);
    void committedChanged();

    const DaemonContext& dc_;
    const Clock& clock_;
    Store& store_;
    NodeCore core_;  // before every socket: its gatekeeper, wiring and loop
    CommandProcessor processor_;
    CommandMetrics metrics_;
    zmq::socket_t commands_;  // ROUTER connected to the brokers' command_backend, each addressed by its name
    zmq::socket_t control_;   // ROUTER: ping, replay, digest, keys, fetch
    zmq::socket_t pub_;       // PUB connected to the brokers' events_in
    HeartbeatPublisher heartbeat_;
    std::optional<SigningKey> signer_;  // signs every event batch we publish (curve mode)

    Leadership lead_;
    uint64_t committedSeq_ = 0;  // events up to here are on two command nodes (or this one alone)
    std::unique_ptr<ReplicationLog> replog_;  // the replication log (the logger is dc_.log)
    SharedPosition position_;
    LoopPulse pulse_;               // stamped by the heartbeat timer: the elector leads only while it moves
    Millis wedgeFor_{0};            // test hook (wedge_loop_ms): once it has led a second, the loop stops this long
    bool wedged_ = false;
    SnapshotSource snapshots_;      // copies of the state for new or far-behind replicas
    zmq::socket_t electorPair_;     // PAIR: the elector's reports
    std::optional<PeerPool> peers_; // ROUTER to the other command nodes (fetch)
    std::unique_ptr<Elector> elector_;
    std::deque<Held> held_;
    std::map<std::string, Follower> followers_;
    uint64_t epochStart_ = 0;  // the entry that opened our leadership
    TimePoint leaderSince_{};
    std::string fetchId_;      // standby: the fetch in flight
    TimePoint fetchSentAt_{};
    TimePoint nextFetch_{};
    bool leaderSuspected_ = false;  // standby: we told the elector the leader is silent (once per fetch)
    bool leaderHeard_ = false;      // standby: the leader we follow has answered a fetch of ours
    TimePoint lastTick_{};          // the replication timer's last run
    TimePoint resumedAt_{};         // when we last ran again after a stall of our own
};

}  // namespace jupiter
