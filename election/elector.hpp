// The command node's elector: a thread of its own (etcd calls block) that takes, keeps and gives
// up leadership through etcd, and reports every change to the node's event loop over an inproc
// PAIR socket, so that the loop stays the only owner of the node's state (see leadership.hpp for
// the rules and the pattern followed).
//
// As a standby it watches the leader key (etcd_watch.hpp) and reads it when it changes, and every
// `watchedPoll` besides (every `poll` while no watch is open); when the key is gone (the leader's
// lease lapsed or was revoked) it asks the other command nodes for their log positions (a fence:
// each stops acknowledging the ended epochs as it answers) and takes the key only if mayCampaign()
// agrees and nobody has taken it since its read (the term key). As leader it renews its lease
// every `keepAliveEvery`, reads the key back when etcd has been written since it last found it its
// own, and reports how long the lease is certainly valid; if a renewal is refused, the key is no
// longer its own (deleted, or overwritten), or no renewal succeeds before that time, it reports
// that it no longer leads. On stop it revokes its lease, so a clean shutdown hands leadership over
// at once instead of after the TTL.
#pragma once

#include <atomic>
#include <memory>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <zmq.hpp>

#include "election/elector_core.hpp"
#include "election/etcd_client.hpp"
#include "election/etcd_watch.hpp"
#include "election/leadership.hpp"
#include "common/clock.hpp"
#include "security/credentials.hpp"
#include "common/doc.hpp"

namespace jupiter {

struct ElectorPeer {
    std::string name;
    std::string endpoint;
};

Doc encodeReport(const ElectorReport& r);
std::optional<ElectorReport> decodeReport(const Doc& d);

class Elector {
public:
    // `reportEndpoint`: an inproc endpoint the loop has bound a PAIR socket to.
    Elector(zmq::context_t& ctx, std::string reportEndpoint, ElectorSettings settings, std::string self,
            std::vector<ElectorPeer> peers, Credentials credentials, const Clock& clock,
            const SharedPosition& position, const LoopPulse& pulse);
    ~Elector();
    Elector(const Elector&) = delete;
    Elector& operator=(const Elector&) = delete;

    void start();
    // Stops the thread; a leader revokes its lease first (best effort).
    void stop();
    // From the loop: its connection to the leader it follows dropped (its process is gone), or the
    // leader left a fetch unanswered too long (stopped). If etcd
    // still names `leader` at `epoch`, the elector ends that lease now and campaigns as usual,
    // instead of waiting for the lease to lapse (why this is safe: elector.cpp).
    void suspect(const std::string& leader, uint64_t epoch);
    // From the loop: a candidate has just fenced us (it is about to campaign): read the leader key
    // every 10 ms for a while instead of every `poll`, so that we follow the new leader at once.
    void lookSoon();

private:
    void run();
    zmq::context_t& ctx_;
    std::string reportEndpoint_;
    ElectorSettings s_;
    std::string self_;
    std::vector<ElectorPeer> peers_;
    Credentials credentials_;
    const Clock& clock_;
    const SharedPosition& position_;
    const LoopPulse& pulse_;
    std::atomic<bool> stop_{false};
    std::unique_ptr<EtcdClient> etcd_;  // the thread's, made before it starts
    std::unique_ptr<EtcdWatch> watch_;  // the thread waits on it: stop(), suspect() and lookSoon() wake it
    std::mutex mutex_;
    std::optional<std::pair<std::string, uint64_t>> suspected_;  // guarded by mutex_
    bool lookSoon_ = false;                                      // guarded by mutex_
    std::thread thread_;
};

}  // namespace jupiter
