// This gateway's own reach to each replica; see reach.hpp.
#include "gateway/reach.hpp"

namespace jupiter {

bool Reach::pingDue(const std::string& replica, bool inDoubt) const {
    if (inDoubt) return true;
    auto it = lastSent_.find(replica);
    return it == lastSent_.end() || clock_.now() - it->second >= quietEvery_;
}

void Reach::onPingSent(const std::string& replica) {
    lastSent_[replica] = clock_.now();
    waitingSince_.try_emplace(replica, clock_.now());
}

void Reach::onPong(const std::string& replica) {
    waitingSince_.erase(replica);
    reported_.erase(replica);
}

bool Reach::cutOff(const std::string& replica) const { return waited(replica) >= limit_; }

Millis Reach::waited(const std::string& replica) const {
    auto it = waitingSince_.find(replica);
    if (it == waitingSince_.end()) return Millis(0);
    return std::chrono::duration_cast<Millis>(clock_.now() - it->second);
}

bool Reach::awaiting() const {
    for (const auto& [replica, since] : waitingSince_) {
        auto r = reported_.find(replica);
        if (r == reported_.end() || !r->second) return true;
    }
    return false;
}

std::vector<std::string> Reach::newlyCutOff() {
    std::vector<std::string> out;
    for (const auto& [replica, since] : waitingSince_) {
        if (!cutOff(replica) || reported_[replica]) continue;
        reported_[replica] = true;
        out.push_back(replica);
    }
    return out;
}

}  // namespace jupiter
