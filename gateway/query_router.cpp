// Query routing with failover; see query_router.hpp.
#include "gateway/query_router.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace jupiter {

QueryRouter::QueryRouter(const Clock& clock, Liveness& live, ReplicaSelector& selector, Settings s, SendFn send,
                         ReplyFn reply)
    : clock_(clock), live_(live), selector_(selector), s_(s), send_(std::move(send)), reply_(std::move(reply)) {}

void QueryRouter::submit(Frames route, const EnvelopePeek& query, std::string bytes) {
    PendingRequest r;
    r.route = std::move(route);
    r.bytes = std::move(bytes);
    r.name = query.name;
    r.id = query.id;
    r.minSeq = query.minSeq;
    r.submittedAt = clock_.now();
    r.deadline = r.submittedAt + s_.totalTimeout;
    PendingRequest& p = table_.add(std::move(r));
    dispatch(p);
    finish();
}

int QueryRouter::outstanding(const std::string& replica) const {
    auto it = outstanding_.find(replica);
    return it == outstanding_.end() ? 0 : it->second;
}

void QueryRouter::setTarget(PendingRequest& p, const std::string& replica) {
    if (!p.target.empty()) --outstanding_[p.target];
    p.target = replica;
    if (!p.target.empty()) ++outstanding_[p.target];
}

void QueryRouter::finish() {
    auto& all = table_.all();
    for (uint64_t serial : done_) {
        if (auto it = all.find(serial); it != all.end()) setTarget(it->second, "");
        table_.erase(serial);
    }
    done_.clear();
}

Millis QueryRouter::attemptTimeoutFor(const std::string& name) const {
    auto it = latency_.find(name);
    if (it == latency_.end()) return s_.attemptTimeout;
    const auto rto = Millis(static_cast<int64_t>((it->second.srttUs + 4 * it->second.rttvarUs) / 1000.0) + 1);
    return std::clamp(rto, s_.minAttemptTimeout, s_.attemptTimeout);
}

bool QueryRouter::suspect(const std::string& replica) const {
    auto it = suspects_.find(replica);
    return it != suspects_.end() && it->second > clock_.now();
}

void QueryRouter::learnLatency(const std::string& name, Micros sample) {
    auto it = latency_.find(name);
    if (it == latency_.end()) {
        if (latency_.size() >= 64) return;  // unknown names are refused by the replica anyway
        latency_[name] = Latency{static_cast<double>(sample.count()), static_cast<double>(sample.count()) / 2};
        return;
    }
    Latency& l = it->second;
    const double r = static_cast<double>(sample.count());
    l.rttvarUs = 0.75 * l.rttvarUs + 0.25 * std::abs(l.srttUs - r);
    l.srttUs = 0.875 * l.srttUs + 0.125 * r;
}

// Ordinary queries follow the route (sticky); read-your-writes queries want a replica that already
// has their sequence. Suspects are avoided while anyone else can take the query.
std::optional<std::string> QueryRouter::pick(const PendingRequest& p, uint64_t need) const {
    auto choose = [&](const std::set<std::string>& exclude) {
        if (p.minSeq > settledHead_) return selector_.choose(live_, need, exclude);
        if (s_.spread)
            return selector_.spread(live_, need, exclude, [this](const std::string& r) { return outstanding(r); });
        return selector_.route(live_, need, exclude);
    };
    if (!suspects_.empty()) {
        std::set<std::string> exclude = p.tried;
        for (const auto& [replica, until] : suspects_)
            if (until > clock_.now()) exclude.insert(replica);
        if (auto r = choose(exclude)) return r;
    }
    return choose(p.tried);
}

void QueryRouter::dispatch(PendingRequest& p) {
    const TimePoint now = clock_.now();
    const uint64_t need = std::max(settledHead_, p.minSeq);
    for (std::size_t i = 0; i <= selector_.preference().size(); ++i) {
        auto replica = pick(p, need);
        if (!replica) break;
        const uint64_t token = table_.newToken(p.serial);
        setTarget(p, *replica);
        ++p.attempts;
        p.attemptSentAt = now;
        // Only a query for a sequence the cluster may not have yet can be parked by the replica;
        // a min_seq already behind the head is answered like any other query.
        p.attemptDeadline = now + (p.minSeq > settledHead_ ? s_.waitTimeout : attemptTimeoutFor(p.name));
        if (send_(*replica, token, p.bytes)) {
            p.waitingSince.reset();
            return;
        }
        // Not connected (ROUTER_MANDATORY refused it) or its queue is full: try the next one.
        table_.forgetToken(token);
        p.tried.insert(*replica);
    }
    // Nobody could take it. Wait a little for a replica to come back, then say so clearly.
    setTarget(p, "");
    p.tried.clear();
    if (!p.waitingSince) p.waitingSince = now;
    if (now - *p.waitingSince >= s_.noReplicaGrace || now >= p.deadline) {
        fail(p, "unavailable", unavailableMessage());
        return;
    }
    p.attemptDeadline = std::min(now + Millis(5), *p.waitingSince + s_.noReplicaGrace);
}

void QueryRouter::fail(PendingRequest& p, const std::string& code, const std::string& message) {
    answer(p, encodeEnvelope(makeErrorReply(p.name, p.id, makeError(code, message))));
    done_.push_back(p.serial);
}

void QueryRouter::answer(const PendingRequest& p, const std::string& bytes) {
    if (observer_.answered) observer_.answered(p, bytes);
    reply_(p.route, bytes);
}

std::string QueryRouter::unavailableMessage() const {
    std::string parts;
    uint64_t stuckAt = 0;
    for (const auto& r : selector_.preference()) {
        const NodeState st = live_.state(r);
        std::string part = fmt::format("{} {}", r, stateName(st));
        if (const int64_t since = live_.sinceMs(r); since > 0 && st != NodeState::Unknown)
            part += fmt::format(" since {}", formatUtcMs(since));
        const Heartbeat* hb = live_.last(r);
        if (st == NodeState::Unknown) part += " (never heard from)";
        else if (st == NodeState::Up && hb && hb->stuck()) {
            part += " but " + hb->stuckText();
            stuckAt = hb->stuckAt;
        }
        else if (st == NodeState::Up) part += " (not reachable from the gateway)";
        parts += (parts.empty() ? "" : ", ") + part;
    }
    if (stuckAt)
        return fmt::format("no query replica available: {}; restart them with a build that can apply event {}", parts,
                           stuckAt);
    return fmt::format("no query replica available: {}; start one with `jupiter start {}`", parts,
                       selector_.preference().empty() ? "NODE" : selector_.preference().front());
}

void QueryRouter::onReply(const std::string& replica, uint64_t token, const std::string& bytes,
                          const EnvelopePeek& reply) {
    suspects_.erase(replica);  // it answers again
    PendingRequest* p = table_.byToken(token);
    table_.forgetToken(token);
    if (!p) return;  // answered already (a slower attempt) or given up: drop
    if (replica == p->target) {
        const auto latency = std::chrono::duration_cast<Micros>(clock_.now() - p->attemptSentAt);
        if (observer_.replicaAnswered) observer_.replicaAnswered(replica, latency);
        if (p->minSeq <= settledHead_ && reply.kind == Kind::Reply) learnLatency(p->name, latency);
    }
    // A replica that is behind (or failed) is not the last word while another live one has not been
    // asked; once each has been, the client gets the answer (say `behind`: retry later) at once.
    // (`unavailable` from a replica: it is stuck at an event it cannot apply, before its heartbeat said so.)
    const bool retryable = reply.kind == Kind::Error && (reply.errorCode == "behind" || reply.errorCode == "internal" ||
                                                         reply.errorCode == "unavailable");
    if (retryable) p->tried.insert(replica);
    if (retryable && clock_.now() < p->deadline && pick(*p, std::max(settledHead_, p->minSeq))) {
        ++retries_;
        dispatch(*p);
    } else {
        answer(*p, bytes);
        done_.push_back(p->serial);
    }
    finish();
}

void QueryRouter::onReplicaLost(const std::string& replica) {
    for (auto& [serial, p] : table_.all()) {
        if (p.target != replica) continue;
        p.tried.insert(replica);
        ++retries_;
        dispatch(p);
    }
    finish();
}

void QueryRouter::tick() {
    const TimePoint now = clock_.now();
    for (auto& [serial, p] : table_.all()) {
        if (now >= p.deadline) {
            fail(p, "timeout", fmt::format("no replica answered {} within {} ms", p.name, toMs(s_.totalTimeout)));
        } else if (now >= p.attemptDeadline) {
            if (!p.target.empty()) {
                p.tried.insert(p.target);  // it did not answer in time: try another
                suspects_[p.target] = now + s_.suspectFor;  // and spare it new queries
                ++retries_;
            }
            dispatch(p);
        }
    }
    finish();
    if (++ticks_ % 1000 == 0) table_.sweepTokens();
    std::erase_if(suspects_, [&](const auto& kv) { return kv.second <= now; });
}

}  // namespace jupiter
