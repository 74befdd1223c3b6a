// Bus liveness; see bus_watch.hpp.
#include "gateway/bus_watch.hpp"

namespace jupiter {

BusWatch::BusWatch(const Clock& clock, Millis deadline) : clock_(clock), deadline_(deadline) {}

bool BusWatch::onBrokerBeat(const std::string& broker) {
    lastBeat_[broker] = clock_.now();
    if (up_) return false;
    up_ = true;
    return true;
}

std::size_t BusWatch::brokersUp() const {
    std::size_t n = 0;
    for (const auto& [broker, at] : lastBeat_)
        if (clock_.now() - at <= deadline_) ++n;
    return n;
}

bool BusWatch::fresh(const std::string& broker) const {
    auto it = lastBeat_.find(broker);
    return it != lastBeat_.end() && clock_.now() - it->second <= deadline_;
}

bool BusWatch::staleWithin(Millis horizon) const {
    for (const auto& [broker, at] : lastBeat_) {
        const auto age = clock_.now() - at;
        if (age <= deadline_ && age + horizon > deadline_) return true;
    }
    return false;
}

std::optional<Millis> BusWatch::tick() {
    if (!up_ || brokersUp() > 0) return std::nullopt;
    up_ = false;
    TimePoint latest{};
    for (const auto& [broker, at] : lastBeat_) latest = std::max(latest, at);
    return std::chrono::duration_cast<Millis>(clock_.now() - latest);
}

}  // namespace jupiter
