// `jupiter send | query | status`: one request to the cluster and its answer, readable or --json.
#include <algorithm>
#include <cstdio>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <zmq.hpp>

#include "cli/assignments.hpp"
#include "cli/cluster_dir.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/ping.hpp"
#include "cli/processes.hpp"
#include "cli/replies.hpp"
#include "cli/table.hpp"
#include "client/client.hpp"
#include "client/failover_client.hpp"
#include "netlab/lab.hpp"

namespace jupiter::cli {
namespace {

constexpr Millis kStatusTimeout{800};
constexpr int kStatusAttempts = 2;
constexpr Millis kFallbackPingTimeout{500};

// How long to wait for an answer. A gateway answers every request within its client_timeout_ms
// (with an error saying why, if need be), so while one is alive the CLI waits a little longer than
// that, rather than report "no answer" a moment before the gateway's more useful explanation.
Millis budgetFor(const RequestOptions& o, const Config& config) {
    return o.timeoutMs > 0 ? Millis(o.timeoutMs) : Millis(config.clientTimeoutMs + 1000);
}

// One request to `endpoints` (every gateway, or one node), failing over between them.
Result<Envelope> ask(const Credentials& credentials, const std::vector<std::string>& endpoints, const Envelope& req,
                     Millis budget) {
    zmq::context_t ctx(1);
    FailoverOptions fo;
    fo.pingTimeout = kFallbackPingTimeout;
    fo.handshakeDrain = Millis(0);  // the context ends with this call: no later handshake on it to stall
    fo.raceFirst = true;            // the first gateway to answer the handshake: a stopped one costs nothing
    return FailoverClient(ctx, credentials, endpoints, fo).call(req, budget);
}



// The message for a request that got no reply, and its exit code: a dead server means the cluster
// is unreachable (3); a live one that stays silent is a failed request (1).
int reportNoReply(const Error& err, const std::filesystem::path& dir) {
    if (err.code == kKeyRefused) {
        printError(err.message);
        return kExitRefused;
    }
    if (err.code == "timeout") {
        fmt::print(stderr, "jupiter: {}; see `jupiter status --dir {}` and the logs in {}\n", err.message, dir.string(),
                   (dir / "log").string());
        return kExitFailed;
    }
    fmt::print(stderr, "jupiter: {}; is the cluster running? try `jupiter status --dir {}`, or `jupiter up --dir {}` "
                       "to start it\n", err.message, dir.string(), dir.string());
    return kExitUnreachable;
}

void printJson(const Envelope& e) { fmt::print("{}\n", envelopeJson(e).dump(2)); }

// Prints an Error reply (JSON on stdout, or one line on stderr) and returns the exit code.
int reportError(const Envelope& reply, bool json) {
    if (json)
        printJson(reply);
    else
        fmt::print(stderr, "{}", renderErrorReply(reply));
    return kExitFailed;
}

// Shared by send and query: the config, the typed body, and the exit code if either failed.
struct Prepared {
    Config config;
    Credentials credentials;
    Doc body;
};
std::optional<Prepared> prepare(const RequestOptions& o, Kind kind, std::filesystem::path& dir, int& rc) {
    dir = resolveClusterDir(o.dir);
    auto body = parseAssignments(kind, o.name, o.fields);
    if (!body) {
        printError(body.error().message);
        rc = kExitUsage;
        return std::nullopt;
    }
    auto cfg = openCluster(dir);
    if (!cfg) {
        printError(cfg.error().message);
        rc = kExitUsage;
        return std::nullopt;
    }
    auto credentials = clientCredentials(*cfg);
    if (!credentials) {
        printError(credentials.error().message);
        rc = kExitUsage;
        return std::nullopt;
    }
    return Prepared{std::move(cfg.value()), std::move(credentials.value()), std::move(body.value())};
}

}  // namespace

int runSend(const RequestOptions& o) {
    std::filesystem::path dir;
    int rc = kExitOk;
    auto p = prepare(o, Kind::Command, dir, rc);
    if (!p) return rc;
    // One id for every send: the command node deduplicates by id, so a resend cannot apply twice.
    const Envelope req = makeRequest(Kind::Command, o.name, std::move(p->body), newRequestId("cli"));
    auto reply = ask(p->credentials, p->config.endpointsOf(Role::Gateway), req, budgetFor(o, p->config));
    if (!reply) return reportNoReply(reply.error(), dir);
    if (reply->kind == Kind::Error) return reportError(*reply, o.json);
    if (reply->kind != Kind::Reply) {
        printError(fmt::format("unexpected {} '{}' in answer to {}", kindName(reply->kind), reply->name, o.name));
        return kExitFailed;
    }
    if (reply->body.is_object() && reply->body.contains("seq") && reply->body["seq"].is_number_unsigned())
        if (!writeLastSeq(p->config, reply->body["seq"].get<uint64_t>()))
            printError("could not record the sequence in run/cli-last-seq: a following query may not see this write");
    if (o.json)
        printJson(*reply);
    else
        fmt::print("{}", renderCommandReply(*reply));
    return kExitOk;
}

int runQuery(const RequestOptions& o) {
    std::filesystem::path dir;
    int rc = kExitOk;
    auto p = prepare(o, Kind::Query, dir, rc);
    if (!p) return rc;
    const auto replicas = p->config.nodesWith(Role::Query);
    if (o.replica > static_cast<int>(replicas.size())) {
        printError(fmt::format("--replica {}: {} has {} query node(s)", o.replica, clusterConfigPath(dir).string(),
                               replicas.size()));
        return kExitUsage;
    }
    Envelope req = makeRequest(Kind::Query, o.name, std::move(p->body), newRequestId("cli"));
    // Read-your-own-writes: an answer from a replica that has not applied our last send would be stale.
    const uint64_t minSeq = o.after ? *o.after : readLastSeq(p->config).value_or(0);
    if (minSeq > 0) req.minSeq = minSeq;
    const auto endpoints = o.replica > 0 ? std::vector<std::string>{replicas[static_cast<std::size_t>(o.replica - 1)]->endpoint}
                                         : p->config.endpointsOf(Role::Gateway);
    auto reply = ask(p->credentials, endpoints, req, budgetFor(o, p->config));
    if (!reply) return reportNoReply(reply.error(), dir);
    if (reply->kind == Kind::Error) return reportError(*reply, o.json);
    if (reply->kind != Kind::Reply) {
        printError(fmt::format("unexpected {} '{}' in answer to {}", kindName(reply->kind), reply->name, o.name));
        return kExitFailed;
    }
    if (o.json)
        printJson(*reply);
    else
        fmt::print("{}", renderQueryReply(*reply));
    return kExitOk;
}

int runStatus(const std::string& dirOption, bool json) {
    const auto dir = resolveClusterDir(dirOption);
    auto cfg = openCluster(dir);
    if (!cfg) {
        printError(cfg.error().message);
        return kExitUsage;
    }
    auto credentials = clientCredentials(*cfg);
    if (!credentials) {
        printError(credentials.error().message);
        return kExitUsage;
    }
    zmq::context_t ctx(1);
    const std::string monitorEp = cfg->nodesWith(Role::Monitor).front()->endpoint;
    Client client(ctx, *credentials, monitorEp);
    auto reply = client.call(makeRequest(Kind::Control, "status", Doc::object(), newRequestId("cli")),
                             kStatusTimeout, kStatusAttempts);
    if (reply && reply->kind == Kind::Error) return reportError(*reply, json);
    if (!reply && reply.error().code == kKeyRefused) return reportNoReply(reply.error(), dir);
    if (reply) {
        if (json)
            printJson(*reply);
        else
            fmt::print("{}", renderStatus(reply->body));
        // In a lab network, what is cut now explains what the table shows.
        if (!json && cfg->netlab.enabled())
            if (auto faults = netlab::labFaults(*cfg); faults && !faults->empty())
                fmt::print("lab network: {}\n", fmt::join(*faults, "; "));
        return kExitOk;
    }

    // Without the monitor there are no heartbeat ages or lags, but a direct ping still tells who is up.
    std::vector<std::string> endpoints;
    for (const auto& n : cfg->nodes) endpoints.push_back(n.endpoint);
    const auto pongs = pingAll(ctx, *credentials, endpoints, kFallbackPingTimeout);
    Doc rows = Doc::array();
    bool anyUp = false;
    for (std::size_t i = 0; i < cfg->nodes.size(); ++i) {
        const auto& n = cfg->nodes[i];
        const auto lock = lockedPid(cfg->pidFile(n.name));
        const auto& pong = pongs[i];
        anyUp = anyUp || pong.has_value();
        Doc row = {{"node", n.name}, {"role", roleName(n.role)}, {"endpoint", n.endpoint}};
        // A locked pidfile without a pong: the process exists but its loop does not answer (stopped?).
        row["state"] = pong ? "UP" : (lock ? "NO ANSWER" : "DOWN");
        row["pid"] = pong ? pong->body.value("pid", Doc(0)) : (lock && *lock > 0 ? Doc(*lock) : Doc("-"));
        row["seq"] = pong && pong->body.contains("seq") ? pong->body["seq"] : Doc("-");
        row["ping rtt"] = pong ? formatRtt(Doc(pong->rtt.count())) : "-";
        row["rtt_us"] = pong ? Doc(pong->rtt.count()) : Doc();
        rows.push_back(std::move(row));
    }
    if (json) {
        fmt::print("{}\n", Doc{{"monitor", "down"}, {"nodes", rows}}.dump(2));
    } else {
        fmt::print(stderr, "jupiter: the monitor at {} does not answer; showing direct pings instead\n", monitorEp);
        fmt::print("{}", renderTable(rows, {"node", "role", "state", "pid", "seq", "ping rtt", "endpoint"}));
    }
    if (!anyUp) {
        printError(fmt::format("no node of {} answers; start the cluster with `jupiter up --dir {}`",
                               clusterConfigPath(dir).string(), dir.string()));
        return kExitUnreachable;
    }
    return kExitOk;
}

}  // namespace jupiter::cli
