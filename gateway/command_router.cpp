// Command forwarding with resend; see command_router.hpp.
#include "gateway/command_router.hpp"

#include <fmt/format.h>

namespace jupiter {

CommandRouter::CommandRouter(const Clock& clock, Settings s, SendFn send, ReplyFn reply)
    : clock_(clock), s_(s), send_(std::move(send)), reply_(std::move(reply)) {}

void CommandRouter::submit(Frames route, const EnvelopePeek& cmd, std::string bytes) {
    PendingRequest r;
    r.route = std::move(route);
    r.bytes = std::move(bytes);
    r.name = cmd.name;
    r.id = cmd.id;
    r.submittedAt = clock_.now();
    r.deadline = r.submittedAt + s_.totalTimeout;
    if (cutOff()) {
        refuseCutOff(r);
        return;
    }
    attempt(table_.add(std::move(r)));
}

void CommandRouter::refuseCutOff(const PendingRequest& p) {
    answer(p, encodeEnvelope(makeErrorReply(
                  p.name, p.id,
                  makeError(std::string(kErrorCutOff),
                            fmt::format("this gateway cannot pass commands on: {}; send it through another gateway "
                                        "with the same request id ({})", cutOff_, p.id)))));
}

void CommandRouter::setCutOff(std::string why) {
    cutOff_ = std::move(why);
    if (!cutOff()) return;
    // What waits here may or may not have reached the command node before the cut: the client
    // resends it elsewhere with the same id, which is applied at most once.
    for (auto& [serial, p] : table_.all()) {
        refuseCutOff(p);
        done_.push_back(serial);
    }
    finish();
}

void CommandRouter::attempt(PendingRequest& p) {
    const uint64_t token = table_.newToken(p.serial);
    if (p.attempts++ > 0) ++resends_;
    p.attemptDeadline = clock_.now() + s_.attemptTimeout;
    if (auto broker = send_(token, p.bytes)) {
        p.target = *broker;  // any broker: they all hand commands to the writer
    } else {
        // No broker is reachable right now: try again shortly.
        table_.forgetToken(token);
        p.target.clear();
        p.attemptDeadline = clock_.now() + s_.retryBackoff;
    }
}

void CommandRouter::onReply(uint64_t token, const std::string& bytes, const EnvelopePeek& reply) {
    PendingRequest* p = table_.byToken(token);
    table_.forgetToken(token);
    if (!p) return;
    const bool notConnected = reply.kind == Kind::Error && reply.errorCode == "unavailable";
    if (notConnected && clock_.now() < p->deadline) {
        p->lastRefusal = bytes;
        p->target.clear();
        p->attemptDeadline = clock_.now() + s_.retryBackoff;
        return;
    }
    answer(*p, bytes);
    done_.push_back(p->serial);
    finish();
}

void CommandRouter::onBrokersChanged(const std::set<std::string>& usable) {
    for (auto& [serial, p] : table_.all())
        if (!p.target.empty() && usable.count(p.target) == 0 && clock_.now() < p.deadline) attempt(p);
}

void CommandRouter::onLeaderChanged() {
    for (auto& [serial, p] : table_.all())
        if (!p.target.empty() && clock_.now() < p.deadline) attempt(p);  // same id: applied at most once
}

void CommandRouter::tick() {
    const TimePoint now = clock_.now();
    for (auto& [serial, p] : table_.all()) {
        if (now >= p.deadline && !p.lastRefusal.empty() && p.target.empty()) {
            // Refused until the end (no leader, no standby holding copies): say why, not just "timeout".
            answer(p, p.lastRefusal);
            done_.push_back(serial);
        } else if (now >= p.deadline) {
            answer(p,
                   encodeEnvelope(makeErrorReply(
                       p.name, p.id,
                       makeError("timeout", fmt::format("the command node did not answer {} within {} ms ({} "
                                                        "attempts); it may or may not have been applied: resend it "
                                                        "with the same request id ({}) to learn its outcome",
                                                        p.name, toMs(s_.totalTimeout), p.attempts, p.id)))));
            done_.push_back(serial);
        } else if (now >= p.attemptDeadline) {
            attempt(p);
        }
    }
    finish();
    if (++ticks_ % 1000 == 0) table_.sweepTokens();
}

void CommandRouter::answer(const PendingRequest& p, const std::string& bytes) {
    if (observer_.answered) observer_.answered(p, bytes);
    reply_(p.route, bytes);
}

void CommandRouter::finish() {
    for (uint64_t serial : done_) table_.erase(serial);
    done_.clear();
}

}  // namespace jupiter
