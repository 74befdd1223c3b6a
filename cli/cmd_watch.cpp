// `jupiter watch`: prints the monitor's transition lines (UP, DOWN, REROUTE) as they are published
// on the bus (through every broker, each line once), until interrupted or for a given time. It may start before the cluster does: a broker
// that does not answer yet is reported, not fatal.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <deque>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <zmq.hpp>

#include "bus/heartbeat.hpp"
#include "cli/cluster_dir.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/ping.hpp"
#include "node/links.hpp"
#include "common/zmq_util.hpp"

namespace jupiter::cli {

int runWatch(const std::string& dirOption, int forMs) {
    const auto dir = resolveClusterDir(dirOption);
    auto cfg = openCluster(dir);
    if (!cfg) {
        fmt::print(stderr, "jupiter: {}\n", cfg.error().message);
        return kExitUsage;
    }
    auto credentials = clientCredentials(*cfg);
    if (!credentials) {
        fmt::print(stderr, "jupiter: {}\n", credentials.error().message);
        return kExitUsage;
    }
    // SIGINT/SIGTERM arrive on a descriptor polled with the socket, so a Ctrl-C ends the loop
    // between two messages instead of interrupting a print or a zmq call.
    sigset_t stops;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    sigprocmask(SIG_BLOCK, &stops, nullptr);
    const int sigFd = signalfd(-1, &stops, SFD_CLOEXEC | SFD_NONBLOCK);

    zmq::context_t ctx(1);
    auto sub = openBusSubscriber(ctx, *cfg, *credentials, {std::string(kTransitionTopic)});
    // Watching may start before the cluster does, so silence is reported, not fatal.
    std::vector<std::string> brokers;
    for (const auto* b : cfg->nodesWith(Role::Broker)) brokers.push_back(b->endpoint);
    const auto pongs = pingAll(ctx, *credentials, brokers, Millis(500));
    if (std::none_of(pongs.begin(), pongs.end(), [](const auto& p) { return p.has_value(); }))
        fmt::print(stderr, "jupiter: no broker answers yet ({}); waiting for transitions anyway\n",
                   fmt::join(brokers, ", "));
    fmt::print(stderr, "watching transitions from {} broker(s) ({})\n", brokers.size(),
               forMs > 0 ? fmt::format("for {} ms", forMs) : std::string("Ctrl-C to stop"));

    // Each broker relays every transition: the same line comes once per broker. The monitor's lines
    // are unique (time to the ms, node, event, detail), so the recent ones are remembered and a copy
    // is skipped.
    std::deque<std::string> recent;
    constexpr std::size_t kRecent = 256;
    const auto deadline = std::chrono::steady_clock::now() + Millis(forMs);
    while (true) {
        long waitMs = -1;
        if (forMs > 0) {
            waitMs = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now()).count();
            if (waitMs <= 0) break;
        }
        zmq::pollitem_t items[] = {{sub.handle(), 0, ZMQ_POLLIN, 0}, {nullptr, sigFd, ZMQ_POLLIN, 0}};
        const int nItems = sigFd >= 0 ? 2 : 1;
        try {
            zmq::poll(items, static_cast<size_t>(nItems), Millis(waitMs));
        } catch (const zmq::error_t& e) {
            if (e.num() == EINTR) continue;  // e.g. resumed after Ctrl-Z
            throw;
        }
        if (nItems == 2 && (items[1].revents & ZMQ_POLLIN)) break;
        if (!(items[0].revents & ZMQ_POLLIN)) continue;
        while (auto frames = recvFrames(sub)) {
            if (frames->size() != 2) continue;
            auto env = decodeEnvelope(view((*frames)[1]));
            if (!env || env->kind != Kind::Transition || !env->body.contains("line")) continue;
            const std::string line = env->body["line"].get<std::string>();
            if (std::find(recent.begin(), recent.end(), line) != recent.end()) continue;
            recent.push_back(line);
            if (recent.size() > kRecent) recent.pop_front();
            fmt::print("{}\n", line);
            std::fflush(stdout);
        }
    }
    if (sigFd >= 0) close(sigFd);
    return kExitOk;
}

}  // namespace jupiter::cli
