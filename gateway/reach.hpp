// Whether this gateway itself reaches each replica. Heartbeats travel through the brokers: they
// prove that a replica lives, not that this gateway can reach it (a partition between the two
// leaves the heartbeats flowing while every query sent to it vanishes). The gateway's own pings go
// over the very connections queries use, so a replica whose pings have gone unanswered for
// `limit` is cut off from this gateway, whatever its heartbeats say, until it answers again.
// While nothing is in doubt (the caller says: heartbeats on time, no query in flight to it) a
// replica is pinged only every `quietEvery`, so an idle cluster is not kept busy by pings.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/clock.hpp"

namespace jupiter {

class Reach {
public:
    Reach(const Clock& clock, Millis limit, Millis quietEvery = Millis(0))
        : clock_(clock), limit_(limit), quietEvery_(quietEvery) {}

    // Whether to ping `replica` now: always while `inDoubt`, otherwise when the last ping to it went
    // out `quietEvery` ago or more (or none did).
    bool pingDue(const std::string& replica, bool inDoubt) const;
    // A ping went to `replica`: if none is waiting, the wait for an answer starts now.
    void onPingSent(const std::string& replica);
    // It answered (any ping): it is reached.
    void onPong(const std::string& replica);
    // The connection is gone: another signal covers it; forget the wait.
    void forget(const std::string& replica) {
        waitingSince_.erase(replica);
        reported_.erase(replica);
    }

    // Its oldest unanswered ping is older than the limit.
    bool cutOff(const std::string& replica) const;
    // The replicas that have become cut off since the last call (each reported once per cut).
    std::vector<std::string> newlyCutOff();
    // Whether a ping waits for its answer from a replica not yet reported cut off (newlyCutOff may
    // have news as time passes).
    bool awaiting() const;
    // How long `replica` has waited for an answer (0 if it is not waited for).
    Millis waited(const std::string& replica) const;

private:
    const Clock& clock_;
    Millis limit_;
    Millis quietEvery_;
    std::map<std::string, TimePoint> lastSent_;
    std::map<std::string, TimePoint> waitingSince_;
    std::map<std::string, bool> reported_;
};

}  // namespace jupiter
