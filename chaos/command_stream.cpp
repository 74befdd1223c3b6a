// The command stream; see command_stream.hpp.
#include "chaos/command_stream.hpp"

#include <algorithm>

#include "client/client.hpp"
#include "client/failover_client.hpp"

namespace jupiter::chaos {
namespace {

using Steady = std::chrono::steady_clock;

// One call's budget (the client fails over between gateways within it); longer than the gateway's
// own resend interval, so our resend is a fallback for a lost reply, not a race with the gateway.
constexpr Millis kAttemptTimeout{3000};
// Once stopping, how long a command in flight may still be resent before it is given up as
// unresolved (which makes the exactly-once count unprovable, and the report says so).
constexpr Millis kGiveUpAfterStop{30000};
constexpr std::size_t kMaxErrors = 10;

}  // namespace

CommandStream::CommandStream(zmq::context_t& ctx, const Credentials& credentials, std::vector<std::string> gateways,
                             uint64_t product, Millis period)
    : ctx_(ctx),
      credentials_(credentials),
      gateways_(std::move(gateways)),
      product_(product),
      period_(period),
      thread_([this] { run(); }) {}

CommandStream::~CommandStream() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

CommandStats CommandStream::finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return stats_;
}

void CommandStream::run() {
    FailoverClient client(ctx_, credentials_, gateways_);
    auto next = Steady::now();
    while (!stop_) {
        const Envelope cmd = makeRequest(Kind::Command, "stock.receive", {{"product", product_}, {"quantity", 1}},
                                         newRequestId("chaos"));
        const auto sent = Steady::now();
        std::optional<Steady::time_point> stoppedAt;
        bool acked = false;
        for (bool firstTry = true; !acked; firstTry = false) {
            if (!firstTry) ++stats_.resends;
            auto reply = client.call(cmd, kAttemptTimeout);
            if (reply.ok() && reply->kind == Kind::Reply) {
                acked = true;
                ++stats_.acked;
                if (reply->body.value("duplicate", false)) ++stats_.duplicates;
                stats_.maxSeq = std::max(stats_.maxSeq, reply->seq.value_or(reply->body.value("seq", uint64_t{0})));
                const auto now = Steady::now();
                stats_.samples.push_back({SystemClock().wallMs(), std::chrono::duration_cast<Micros>(now - sent).count()});
                break;
            }
            if (stats_.errors.size() < kMaxErrors)
                stats_.errors.push_back(reply.ok() ? reply->body.dump() : reply.error().message);
            if (stop_ && !stoppedAt) stoppedAt = Steady::now();
            if (stoppedAt && Steady::now() - *stoppedAt > kGiveUpAfterStop) {
                ++stats_.unresolved;
                break;
            }
        }
        stats_.failovers = client.failovers();
        next += period_;
        const auto now = Steady::now();
        if (next < now) next = now;  // after a slow acknowledgement, do not send a burst to catch up
        std::this_thread::sleep_until(next);
    }
}

}  // namespace jupiter::chaos
