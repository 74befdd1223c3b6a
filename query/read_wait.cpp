// Queries waiting for a sequence; see read_wait.hpp.
#include "query/read_wait.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <iterator>

namespace jupiter {

ReadWait::ReadWait(const Clock& clock, Millis maxWait, std::size_t maxWaiting, Millis probeInterval)
    : clock_(clock), maxWait_(maxWait), maxWaiting_(maxWaiting), probeInterval_(probeInterval) {}

bool ReadWait::add(Frames&& route, Envelope&& query, uint64_t knownHead) {
    if (waiting_.size() >= maxWaiting_) return false;
    const TimePoint now = clock_.now();
    const bool beyond = query.minSeq.value_or(0) > knownHead;
    waiting_.push_back({std::move(route), std::move(query), now, now + maxWait_, beyond});
    return true;
}

bool ReadWait::anyBeyond() const {
    for (const auto& w : waiting_)
        if (w.beyondHead) return true;
    return false;
}

std::optional<std::string> ReadWait::probeDue(const std::string& node) {
    const TimePoint now = clock_.now();
    if (!anyBeyond() || (lastProbe_ && now - *lastProbe_ < probeInterval_)) return std::nullopt;
    lastProbe_ = now;
    std::erase_if(sent_, [&](const auto& p) { return now - p.second > maxWait_; });
    sent_[++probes_] = now;
    return fmt::format("{}-head-{}", node, probes_);
}

std::vector<ReadWait::Refused> ReadWait::onProbeAnswer(std::string_view id, uint64_t head, const std::string& leader) {
    std::vector<Refused> out;
    const auto dash = id.rfind('-');
    if (dash == std::string_view::npos) return out;
    const auto probe = sent_.find(std::strtoull(std::string(id.substr(dash + 1)).c_str(), nullptr, 10));
    if (probe == sent_.end()) return out;
    const TimePoint sentAt = probe->second;
    sent_.erase(sent_.begin(), std::next(probe));  // older probes are answered by this one
    lastProbe_.reset();                               // a query still undecided may probe at once
    for (auto it = waiting_.begin(); it != waiting_.end();) {
        if (it->beyondHead && *it->query.minSeq <= head) it->beyondHead = false;  // it waits as any other
        if (!it->beyondHead || it->arrived > sentAt) {  // (one that came after the probe went: the next decides)
            ++it;
            continue;
        }
        Error e = makeError("ahead_of_head",
                            fmt::format("sequence {} is beyond the head: the leading command node {} has committed "
                                        "up to {}; min_seq is a sequence a command's reply gave",
                                        *it->query.minSeq, leader, head),
                            "min_seq");
        out.push_back({std::move(*it), std::move(e)});
        it = waiting_.erase(it);
    }
    return out;
}

std::vector<ReadWait::Waiting> ReadWait::ready(uint64_t applied) {
    std::vector<Waiting> out;
    for (auto it = waiting_.begin(); it != waiting_.end();) {
        if (*it->query.minSeq <= applied) {
            out.push_back(std::move(*it));
            it = waiting_.erase(it);
        } else {
            ++it;
        }
    }
    return out;
}

std::vector<ReadWait::Refused> ReadWait::expired(uint64_t applied, uint64_t knownHead, const std::string& node) {
    std::vector<Refused> out;
    const TimePoint now = clock_.now();
    for (auto it = waiting_.begin(); it != waiting_.end();) {
        if (it->beyondHead && *it->query.minSeq <= knownHead) it->beyondHead = false;  // the head reached it
        if (it->deadline > now) {
            ++it;
            continue;
        }
        Error e = makeError("behind",
                            fmt::format("{} has applied sequence {} but the query asks for {}{}; retry, or ask "
                                        "another replica",
                                        node, applied, *it->query.minSeq,
                                        it->beyondHead ? " (and no leader said whether it exists)" : ""),
                            "min_seq");
        out.push_back({std::move(*it), std::move(e)});
        it = waiting_.erase(it);
    }
    return out;
}

}  // namespace jupiter
