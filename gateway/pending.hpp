// Requests the gateway has forwarded and not yet answered. A request may be sent several times
// (to another replica, or again after a timeout); each send gets its own token, and the first
// reply to any of them wins: later replies find the request gone and are dropped, so a slow
// replica that answers late can produce neither a duplicate nor a misrouted reply.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "common/clock.hpp"
#include "common/zmq_util.hpp"

namespace jupiter {

struct PendingRequest {
    uint64_t serial = 0;
    Frames route;                     // back to the client
    std::string bytes;                // the request as the client sent it
    std::string name;                 // for error replies
    std::string id;
    uint64_t minSeq = 0;
    TimePoint submittedAt{};          // when the client's request arrived (latency as the client sees it)
    TimePoint deadline{};             // answer (or error) by then
    TimePoint attemptDeadline{};      // resend/reroute after this
    TimePoint attemptSentAt{};        // when the current attempt went out (latency samples)
    std::string target;               // where the current attempt went ("" = waiting)
    std::set<std::string> tried;      // replicas that failed this request
    int attempts = 0;
    std::optional<TimePoint> waitingSince;  // no replica could take it since then
    std::string lastRefusal;          // commands: the last `unavailable` answer (sent if time runs out)
};

// What a router tells whoever watches it (the gateway's metrics); either member may be empty.
struct RouterObserver {
    // The client is sent `reply` (an answer or an error) for `p`.
    std::function<void(const PendingRequest& p, const std::string& reply)> answered;
    // `replica` answered the attempt sent to it after `latency`.
    std::function<void(const std::string& replica, Micros latency)> replicaAnswered;
};

class PendingTable {
public:
    PendingRequest& add(PendingRequest r) {
        r.serial = nextSerial_++;
        auto [it, ok] = bySerial_.emplace(r.serial, std::move(r));
        return it->second;
    }
    // A new token for a fresh attempt of request `serial`.
    uint64_t newToken(uint64_t serial) {
        const uint64_t t = nextToken_++;
        tokens_[t] = serial;
        return t;
    }
    // The request a token belongs to, if it is still waiting.
    PendingRequest* byToken(uint64_t token) {
        auto t = tokens_.find(token);
        if (t == tokens_.end()) return nullptr;
        auto r = bySerial_.find(t->second);
        if (r == bySerial_.end()) {
            tokens_.erase(t);
            return nullptr;
        }
        return &r->second;
    }
    void forgetToken(uint64_t token) { tokens_.erase(token); }
    void erase(uint64_t serial) { bySerial_.erase(serial); }
    std::map<uint64_t, PendingRequest>& all() { return bySerial_; }
    std::size_t size() const { return bySerial_.size(); }
    // Drops tokens whose request is gone (called now and then; tokens are 16 bytes each).
    void sweepTokens() {
        for (auto it = tokens_.begin(); it != tokens_.end();)
            it = bySerial_.count(it->second) ? std::next(it) : tokens_.erase(it);
    }

private:
    std::map<uint64_t, PendingRequest> bySerial_;
    std::unordered_map<uint64_t, uint64_t> tokens_;
    uint64_t nextSerial_ = 1;
    uint64_t nextToken_ = 1;
};

std::string encodeToken(uint64_t token);
std::optional<uint64_t> decodeToken(std::string_view frame);

}  // namespace jupiter
