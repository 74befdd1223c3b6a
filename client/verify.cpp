// Convergence check; see verify.hpp.
#include "client/verify.hpp"

#include <thread>

#include <fmt/format.h>

#include "client/client.hpp"

namespace jupiter {
namespace {

// A node busy with a long replay (or a sanitized build) may take seconds to answer: it gets 2 x 5 s.
Result<Envelope> control(zmq::context_t& ctx, const Credentials& cr, const std::string& ep, const std::string& name, Doc body = Doc::object()) {
    Client c(ctx, cr, ep);
    auto r = c.call(makeRequest(Kind::Control, name, std::move(body)), Millis(5000), 2);
    if (r.ok() && r->kind == Kind::Error)
        return makeError(r->body.value("code", std::string("unavailable")), r->body.value("message", std::string("error")));
    return r;
}

// The first key where the two nodes' record listings differ, or "" if none.
Result<std::string> firstDifference(zmq::context_t& ctx, const Credentials& cr, const std::string& a, const std::string& b) {
    std::string after;
    while (true) {
        auto ka = control(ctx, cr, a, "keys", {{"after", after}, {"max", 1000}});
        auto kb = control(ctx, cr, b, "keys", {{"after", after}, {"max", 1000}});
        if (!ka) return ka.error();
        if (!kb) return kb.error();
        const Doc& la = ka->body["keys"];
        const Doc& lb = kb->body["keys"];
        const std::size_t n = std::min(la.size(), lb.size());
        for (std::size_t i = 0; i < n; ++i) {
            if (la[i][0] != lb[i][0]) {
                const std::string x = la[i][0], y = lb[i][0];
                return std::min(x, y) + (x < y ? " (missing on the second)" : " (missing on the first)");
            }
            if (la[i][1] != lb[i][1]) return la[i][0].get<std::string>() + " (different content)";
        }
        if (la.size() != lb.size()) {
            const Doc& longer = la.size() > lb.size() ? la : lb;
            return longer[n][0].get<std::string>() + " (missing on one side)";
        }
        const std::string next = ka->body.value("next", std::string());
        if (next.empty() || la.empty()) return std::string();
        after = next;
    }
}

}  // namespace

Doc VerifyReport::toDoc() const {
    Doc nodesDoc = Doc::array();
    for (const auto& n : nodes)
        nodesDoc.push_back({{"node", n.node}, {"seq", n.seq}, {"digest", fmt::format("{:016x}", n.digest)},
                            {"records", n.records}});
    return Doc{{"agree", agree}, {"seq", seq}, {"nodes", nodesDoc}, {"differences", differences}};
}

Result<VerifyReport> verifyCluster(zmq::context_t& ctx, const Credentials& credentials, const Config& config,
                                   Millis wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    // The write model is the reference: the leading command node's first, then every other command
    // node that answers (standbys hold copies; one that is down is left out), then every query node.
    std::vector<std::string> nodes;
    for (const auto* c : config.nodesWith(Role::Command)) {
        Client probe(ctx, credentials, c->endpoint);
        auto pong = probe.call(makeRequest(Kind::Control, "ping", Doc::object()), Millis(500), 2);
        if (!pong || pong->kind != Kind::Control) continue;
        if (pong->body.value("standing", std::string("leader")) == "leader")
            nodes.insert(nodes.begin(), c->name);
        else
            nodes.push_back(c->name);
    }
    if (nodes.empty())
        return makeError("unavailable", fmt::format("no command node answers (start one with `jupiter start {}`)",
                                                    config.firstCommandNode()->name));
    const NodeConfig& writer = *config.node(nodes.front());
    for (const auto* q : config.nodesWith(Role::Query)) nodes.push_back(q->name);
    std::string lastState;
    int disagreements = 0;
    while (true) {
        VerifyReport rep;
        bool same = true;
        for (const auto& n : nodes) {
            auto d = control(ctx, credentials, config.node(n)->endpoint, "digest");
            if (!d)
                return makeError("unavailable", fmt::format("{} did not answer at {}: {} (start it with `jupiter start "
                                                            "{}`)", n, config.node(n)->endpoint, d.error().message, n));
            NodeDigest nd{n, d->body["seq"].get<uint64_t>(), d->body["digest"].get<uint64_t>(),
                          d->body["records"].get<uint64_t>()};
            same = same && (rep.nodes.empty() || nd.seq == rep.nodes.front().seq);
            rep.nodes.push_back(nd);
        }
        if (same) {
            rep.seq = rep.nodes.front().seq;
            rep.agree = true;
            for (const auto& nd : rep.nodes) {
                if (nd.digest == rep.nodes.front().digest) continue;
                rep.agree = false;
                auto diff = firstDifference(ctx, credentials, writer.endpoint, config.node(nd.node)->endpoint);
                rep.differences.push_back(fmt::format("{} differs from {}'s write model at sequence {}: "
                                                      "first differing record {}", nd.node, writer.name, rep.seq,
                                                      diff ? *diff : diff.error().message));
            }
            // A write between two digests would show as a difference that is not one: check again,
            // but a difference seen three times at one sequence is real.
            if (rep.agree || ++disagreements >= 3 || std::chrono::steady_clock::now() >= deadline) return rep;
        }
        lastState.clear();
        for (const auto& nd : rep.nodes) lastState += fmt::format("{} at {}; ", nd.node, nd.seq);
        if (std::chrono::steady_clock::now() >= deadline)
            return makeError("not_quiescent", fmt::format("the replicas did not reach the same sequence within {} ms "
                                                          "({}); stop the writes, or check a stuck node with "
                                                          "`jupiter status`", wait.count(), lastState));
        std::this_thread::sleep_for(Millis(50));
    }
}

}  // namespace jupiter
