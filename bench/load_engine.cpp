// Closed-loop load engine; see load_engine.hpp.
#include "bench/load_engine.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include <fmt/format.h>

#include "client/client.hpp"
#include "common/links.hpp"
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
        zmq::socket_t sock;
        std::string id;
        clock::time_point sent;
    };
    std::vector<Slot> slots;
    std::vector<zmq::pollitem_t> items;
    slots.reserve(static_cast<std::size_t>(spec.clients));
    for (int i = 0; i < spec.clients; ++i) {
        slots.push_back({openClientSocket(ctx, spec.credentials, spec.endpoint), "", {}});
    }
    for (auto& s : slots) items.push_back({s.sock.handle(), 0, ZMQ_POLLIN, 0});
    if (spec.connectFirst) {
        const std::string ping = encodeEnvelope(makeRequest(Kind::Control, "ping", Doc::object(), "b-connect"));
        for (auto& s : slots) sendFrames(s.sock, {"", ping});
        std::vector<bool> up(slots.size(), false);
        std::size_t upCount = 0;
        const auto giveUp = clock::now() + Millis(10000);
        while (upCount < slots.size() && clock::now() < giveUp) {
            zmq::poll(items.data(), items.size(), Millis(20));
            for (std::size_t i = 0; i < slots.size(); ++i) {
                if (up[i] || !(items[i].revents & ZMQ_POLLIN)) continue;
                while (recvFrames(slots[i].sock)) {
                }
                up[i] = true;
                ++upCount;
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
        sendFrames(s.sock, {"", encodeEnvelope(e)});
    };
    for (auto& s : slots) issue(s);
    std::size_t outstanding = slots.size();
    auto lastTimeoutCheck = clock::now();
    while (outstanding > 0) {
        zmq::poll(items.data(), items.size(), Millis(20));
        const auto now = clock::now();
        const bool stopping = now >= end || (spec.stop && spec.stop->load());
        // Timeouts are rare; looking for them on every wake would cost a clock read per client.
        const bool checkTimeouts = now - lastTimeoutCheck > Millis(10);
        if (checkTimeouts) lastTimeoutCheck = now;
        for (std::size_t i = 0; i < slots.size(); ++i) {
            Slot& s = slots[i];
            if (s.id.empty()) continue;
            bool done = false, ok = false;
            if (items[i].revents & ZMQ_POLLIN) {
                while (auto frames = recvFrames(s.sock)) {
                    auto env = peekEnvelope(view(frames->back()));
                    if (!env || env->id != s.id) continue;  // a stale reply
                    done = true;
                    ok = env->kind == Kind::Reply;
                    if (ok) ++r.servedBy[env->node.empty() ? "?" : env->node];
                    else if (r.errors.size() < 10) {
                        auto full = decodeEnvelopeHeader(view(frames->back()));
                        r.errors.push_back(full ? full->body.dump() : env->errorCode);
                    }
                    break;
                }
            } else if (checkTimeouts && now - s.sent > spec.requestTimeout) {
                done = true;
                if (r.errors.size() < 10) r.errors.push_back("timeout");
            }
            if (!done) continue;
            const auto t = now;
            r.samples.push_back({us(t), us(t) - us(s.sent), ok});
            ok ? ++r.ok : ++r.failed;
            if (stopping) {
                s.id.clear();
                --outstanding;
            } else {
                issue(s);
            }
        }
        if (stopping) {
            // Requests still out when time is up are waited for (they count), not abandoned.
            for (auto& s : slots)
                if (!s.id.empty() && clock::now() - s.sent > spec.requestTimeout) {
                    s.id.clear();
                    --outstanding;
                    ++r.failed;
                }
        }
    }
    r.seconds = std::chrono::duration<double>(clock::now() - start).count();
    return r;
}

}  // namespace jupiter::bench
