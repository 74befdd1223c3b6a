// Queries and commands per second through the gateways; see traffic_rates.hpp.
#include "monitor/traffic_rates.hpp"

namespace jupiter {

void TrafficRates::onGatewayBeat(const Heartbeat& hb) {
    auto [it, first] = gateways_.try_emplace(hb.node);
    Seen& seen = it->second;
    if (first) {
        // What it answered before the monitor heard it is not part of any rate the monitor shows.
        seen = {hb.pid, hb.uptimeMs, hb.queries, hb.commands};
        return;
    }
    if (hb.pid != seen.pid) {
        if (hb.uptimeMs >= seen.uptimeMs) return;  // a late copy from the process before
        seen = {hb.pid, hb.uptimeMs, 0, 0};
    } else if (hb.queries < seen.queries || hb.commands < seen.commands) {
        return;  // a late copy of an older beat
    }
    seen.uptimeMs = hb.uptimeMs;
    queries_ += hb.queries - seen.queries;
    commands_ += hb.commands - seen.commands;
    seen.queries = hb.queries;
    seen.commands = hb.commands;
}

void TrafficRates::sample() {
    const TimePoint now = clock_.now();
    samples_.push_back({now, queries_, commands_});
    // Keep one sample at or past the window's start, so the rate spans the whole window.
    while (samples_.size() > 2 && now - samples_[1].at >= window_) samples_.pop_front();
}

double TrafficRates::rate(uint64_t Sample::*field) const {
    if (samples_.size() < 2) return 0;
    const Sample& a = samples_.front();
    const Sample& b = samples_.back();
    const double seconds = std::chrono::duration<double>(b.at - a.at).count();
    return seconds > 0 ? static_cast<double>(b.*field - a.*field) / seconds : 0;
}

}  // namespace jupiter
