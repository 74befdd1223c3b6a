// Closed-loop load engine; see load_engine.hpp.
#include "bench/load_engine.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <utility>

#include <fmt/format.h>

#include "client/client.hpp"
#include "client/failover_client.hpp"
#include "node/links.hpp"
#include "common/zmq_util.hpp"

namespace jupiter::bench {

int64_t LoadResult::percentileUs(double p) const {
    std::vector<int64_t> lat;
    for (const auto& s : samples)
        if (s.ok) lat.push_back(s.latencyUs);
    if (lat.empty()) return 0;
    std::sort(lat.begin(), lat.end());
    const auto idx = static_cast<std::size_t>(p * static_cast<double>(lat.size() - 1));
    return lat[idx];
}

int64_t LoadResult::maxUs() const {
    int64_t m = 0;
    for (const auto& s : samples) m = std::max(m, s.latencyUs);
    return m;
}

namespace {

// The longest time between consecutive successful completions, and when it ended.
std::pair<int64_t, int64_t> longestGap(const std::vector<Sample>& samples) {
    std::vector<int64_t> done;
    for (const auto& s : samples)
        if (s.ok) done.push_back(s.doneUs);
    std::sort(done.begin(), done.end());
    std::pair<int64_t, int64_t> gap{0, 0};
    for (std::size_t i = 1; i < done.size(); ++i)
        if (done[i] - done[i - 1] > gap.first) gap = {done[i] - done[i - 1], done[i]};
    return gap;
}

}  // namespace

int64_t LoadResult::longestGapUs() const { return longestGap(samples).first; }
int64_t LoadResult::longestGapEndUs() const { return longestGap(samples).second; }

LoadResult runLoad(zmq::context_t& ctx, const LoadSpec& spec) {
    using clock = std::chrono::steady_clock;
    struct Slot {
        std::unique_ptr<FailoverClient> client;
        std::string id;
        clock::time_point sent;
    };
    std::vector<Slot> slots;
    std::vector<zmq::pollitem_t> items;
    slots.reserve(static_cast<std::size_t>(spec.clients));
    for (int i = 0; i < spec.clients; ++i) {
        FailoverOptions o;
        o.start = static_cast<std::size_t>(i);
        slots.push_back({std::make_unique<FailoverClient>(ctx, spec.credentials, spec.endpoints, o), "", {}});
    }
    // Two items per client: its socket and its connection events.
    for (auto& s : slots) {
        items.push_back({s.client->socket().handle(), 0, ZMQ_POLLIN, 0});
        items.push_back({s.client->events().handle(), 0, ZMQ_POLLIN, 0});
    }
    if (spec.connectFirst) {
        const auto giveUp = clock::now() + Millis(10000);
        auto allUp = [&] {
            for (auto& s : slots)
                if (!s.client->connected()) return false;
            return true;
        };
        while (!allUp() && clock::now() < giveUp) {
            zmq::poll(items.data(), items.size(), Millis(20));
            for (auto& s : slots)
                while (s.client->service()) {
                }
        }
    }

    LoadResult r;
    r.startWallMs = std::chrono::duration_cast<Millis>(std::chrono::system_clock::now().time_since_epoch()).count();
    const auto start = clock::now();
    const auto end = start + spec.duration;
    uint64_t n = 0;
    auto us = [&](clock::time_point t) { return std::chrono::duration_cast<Micros>(t - start).count(); };
    auto issue = [&](Slot& s) {
        Envelope e = spec.make(n++);
        e.id = newRequestId("b");
        s.id = e.id;
        s.sent = clock::now();
        s.client->send(e);
    };
    for (auto& s : slots) issue(s);
    std::size_t outstanding = slots.size();
    auto lastCheck = clock::now();
    while (outstanding > 0) {
        zmq::poll(items.data(), items.size(), Millis(10));
        const auto now = clock::now();
        const bool stopping = now >= end || (spec.stop && spec.stop->load());
        // Silence, failover and timeouts are judged every few ms; a client with input is served at once.
        const bool check = now - lastCheck > Millis(5);
        if (check) lastCheck = now;
        for (std::size_t i = 0; i < slots.size(); ++i) {
            Slot& s = slots[i];
            if (s.id.empty()) continue;
            const bool input = (items[2 * i].revents & ZMQ_POLLIN) || (items[2 * i + 1].revents & ZMQ_POLLIN);
            if (!input) {
                if (!check) continue;
                s.client->tick();  // silence and failover: no socket read for a client with nothing to read
            }
            bool done = false, ok = false;
            while (auto reply = input ? s.client->service() : std::nullopt) {
                if (reply->peek.id != s.id) continue;  // an answer to a request given up on
                done = true;
                ok = reply->peek.kind == Kind::Reply;
                ++r.answeredBy[reply->endpoint];
                if (ok) ++r.servedBy[reply->peek.node.empty() ? "?" : reply->peek.node];
                else if (r.errors.size() < 10) {
                    auto full = decodeEnvelopeHeader(reply->bytes);
                    r.errors.push_back(full ? full->body.dump() : reply->peek.errorCode);
                }
                break;
            }
            if (!done && now - s.sent > spec.requestTimeout) {
                done = true;
                s.client->forget(s.id);
                if (r.errors.size() < 10) r.errors.push_back("timeout");
            }
            if (!done) continue;
            const auto t = clock::now();
            r.samples.push_back({us(t), us(t) - us(s.sent), ok});
            ok ? ++r.ok : ++r.failed;
            if (stopping) {
                s.id.clear();
                --outstanding;
            } else {
                issue(s);
            }
        }
    }
    for (const auto& s : slots) r.failovers += s.client->failovers();
    r.seconds = std::chrono::duration<double>(clock::now() - start).count();
    return r;
}

}  // namespace jupiter::bench
