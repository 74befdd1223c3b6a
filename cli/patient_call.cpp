// Requests that outwait a busy but live server; see patient_call.hpp.
#include "cli/patient_call.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "cli/ping.hpp"
#include "client/client.hpp"

namespace jupiter::cli {
namespace {

using Steady = std::chrono::steady_clock;

}  // namespace

Result<Envelope> callPatiently(zmq::context_t& ctx, const Credentials& credentials, const std::string& endpoint, const Envelope& req,
                               const PatiencePolicy& policy) {
    Client client(ctx, credentials, endpoint);
    const auto start = Steady::now();
    const auto budgetEnd = start + policy.budget;
    int sends = 1;
    int silentPings = 0;
    client.send(req);
    while (true) {
        const auto attemptEnd = std::min(Steady::now() + policy.attemptTimeout, std::max(budgetEnd, Steady::now()));
        while (true) {
            const auto left = std::chrono::duration_cast<Millis>(attemptEnd - Steady::now());
            if (left.count() <= 0) break;
            auto rep = client.receive(left);
            if (client.keyRefused()) return client.keyRefusedError();
            if (!rep) break;
            if (rep->id == req.id) return std::move(*rep);
            // A reply to someone else's request id cannot reach this fresh socket; ignore anything odd.
        }
        const auto waited = std::chrono::duration_cast<Millis>(Steady::now() - start).count();
        const bool alive = pingAll(ctx, credentials, {endpoint}, policy.pingTimeout)[0].has_value();
        if (alive) {
            silentPings = 0;
            if (Steady::now() >= budgetEnd)
                return makeError("timeout", fmt::format("{} is up (it answers ping) but did not answer {} within {} ms",
                                                        endpoint, req.name, waited));
            continue;  // alive and working on it: resending would only restart its own timers
        }
        ++silentPings;
        if (sends >= policy.attempts)
            return makeError("unavailable", fmt::format("no answer from {} to {} nor to pings ({} sends over {} ms)",
                                                        endpoint, req.name, sends, waited));
        // Perhaps it restarted and lost the request: send it again, with the same id.
        client.send(req);
        ++sends;
    }
}

}  // namespace jupiter::cli
