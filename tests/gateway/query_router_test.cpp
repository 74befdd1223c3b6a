// QueryRouter and CommandRouter with a ManualClock and hand-written fakes for the sockets: every
// failover path answers the client exactly once.
#include <doctest/doctest.h>

#include <iterator>
#include <map>
#include <set>
#include <vector>

#include "gateway/command_router.hpp"
#include "gateway/query_router.hpp"

using namespace jupiter;

namespace {

Heartbeat hb(const std::string& node, uint64_t seq = 0) {
    Heartbeat h;
    h.node = node;
    h.role = Role::Query;
    h.pid = 1;
    h.seq = seq;
    h.intervalMs = 100;
    return h;
}

struct Sent {
    std::string replica;
    uint64_t token;
    std::string bytes;
};

struct Fixture {
    ManualClock clock;
    Liveness live{clock, 3, 1};
    ReplicaSelector selector{{"query-1", "query-2", "query-3"}, 0};
    std::vector<Sent> sent;
    std::vector<std::string> replies;
    std::set<std::string> unreachable;
    QueryRouter::Settings settings;
    QueryRouter router{clock, live, selector, settings,
                       [this](const std::string& r, uint64_t t, const std::string& b) {
                           if (unreachable.count(r)) return false;
                           sent.push_back({r, t, b});
                           return true;
                       },
                       [this](const Frames&, const std::string& b) { replies.push_back(b); }};

    explicit Fixture(bool spread = false) : settings(withSpread(spread)) {
        for (auto n : {"query-1", "query-2", "query-3"}) live.onHeartbeat(hb(n));
    }
    static QueryRouter::Settings withSpread(bool spread) {
        QueryRouter::Settings s;
        s.spread = spread;
        return s;
    }
    void submit(const std::string& id, uint64_t minSeq = 0) {
        Envelope q;
        q.kind = Kind::Query;
        q.name = "sales.list";
        q.id = id;
        if (minSeq) q.minSeq = minSeq;
        const std::string bytes = encodeEnvelope(q);
        router.submit({}, *peekEnvelope(bytes), bytes);
    }
    void answer(const Sent& s, Doc body = Doc::object()) {
        Envelope q = *decodeEnvelopeHeader(s.bytes);
        Envelope r = makeReply(q, std::move(body));
        r.node = s.replica;
        const std::string bytes = encodeEnvelope(r);
        router.onReply(s.replica, s.token, bytes, *peekEnvelope(bytes));
    }
    Envelope reply(std::size_t i) { return *decodeEnvelopeHeader(replies.at(i)); }
};

}  // namespace

TEST_CASE("query router: a query goes to the preferred replica and its reply to the client") {
    Fixture f;
    f.submit("a");
    REQUIRE(f.sent.size() == 1);
    CHECK(f.sent[0].replica == "query-1");
    f.answer(f.sent[0]);
    REQUIRE(f.replies.size() == 1);
    CHECK(f.reply(0).id == "a");
    CHECK(f.router.inFlight() == 0);
}

TEST_CASE("query router: many queries are in flight at once") {
    Fixture f;
    for (int i = 0; i < 50; ++i) f.submit("q" + std::to_string(i));
    CHECK(f.sent.size() == 50);
    CHECK(f.router.inFlight() == 50);
    for (auto it = f.sent.rbegin(); it != f.sent.rend(); ++it) f.answer(*it);
    CHECK(f.replies.size() == 50);
}

TEST_CASE("query router: a lost replica's queries go to the next one - and its late reply is dropped") {
    Fixture f;
    f.submit("a");
    f.live.markDown("query-1", "connection lost");
    f.router.onReplicaLost("query-1");
    REQUIRE(f.sent.size() == 2);
    CHECK(f.sent[1].replica == "query-2");
    f.answer(f.sent[1]);
    f.answer(f.sent[0]);  // query-1 answers late: no duplicate
    CHECK(f.replies.size() == 1);
    CHECK(f.router.retries() == 1);
}

TEST_CASE("query router: a replica that does not answer in time is skipped for that query") {
    Fixture f;
    f.submit("a");
    f.clock.advance(Millis(251));
    f.router.tick();
    REQUIRE(f.sent.size() == 2);
    CHECK(f.sent[1].replica == "query-2");
    f.clock.advance(Millis(251));
    f.router.tick();
    REQUIRE(f.sent.size() == 3);
    CHECK(f.sent[2].replica == "query-3");
    f.answer(f.sent[0]);  // the first, slow replica answers first after all: it wins, once
    f.answer(f.sent[2]);
    CHECK(f.replies.size() == 1);
}

TEST_CASE("query router: a replica that let a query time out gets no new queries until it answers again") {
    Fixture f;
    f.submit("a");
    f.clock.advance(Millis(251));
    f.router.tick();
    REQUIRE(f.sent.size() == 2);
    CHECK(f.sent[1].replica == "query-2");
    CHECK(f.router.suspect("query-1"));
    f.submit("b");  // query-1 is still UP by its heartbeats, but suspect: b goes to query-2 at once
    REQUIRE(f.sent.size() == 3);
    CHECK(f.sent[2].replica == "query-2");
    f.answer(f.sent[0]);  // query-1 wakes up and answers a: it wins, and query-1 is trusted again
    CHECK_FALSE(f.router.suspect("query-1"));
    f.submit("c");
    REQUIRE(f.sent.size() == 4);
    CHECK(f.sent[3].replica == "query-1");
    f.answer(f.sent[1]);  // query-2's copy of a: dropped
    f.answer(f.sent[2]);
    f.answer(f.sent[3]);
    REQUIRE(f.replies.size() == 3);
}

TEST_CASE("query router: suspicion expires - and a suspect still serves when nobody else can") {
    Fixture f;
    f.submit("a");
    f.clock.advance(Millis(251));
    f.router.tick();
    f.clock.advance(Millis(1000));
    f.router.tick();
    CHECK_FALSE(f.router.suspect("query-1"));
    f.submit("b");
    CHECK(f.sent.back().replica == "query-1");

    Fixture g;
    g.live.markDown("query-2", "test");
    g.live.markDown("query-3", "test");
    g.submit("a");
    g.clock.advance(Millis(251));
    g.router.tick();  // query-1 suspect, and the only live replica: it still gets queries
    g.submit("b");
    g.clock.advance(Millis(5));
    g.router.tick();  // and a, after the short wait for another replica, is sent to it again
    REQUIRE(g.sent.size() == 3);
    CHECK(g.sent[1].replica == "query-1");
    CHECK(g.sent[2].replica == "query-1");
}

TEST_CASE("query router: the per-attempt timeout follows the observed latency - within its bounds") {
    Fixture f;
    CHECK(f.router.attemptTimeoutFor("sales.list") == Millis(250));  // nothing seen yet
    for (int i = 0; i < 30; ++i) {
        f.submit("q" + std::to_string(i));
        f.clock.advance(Millis(2));
        f.answer(f.sent.back());
    }
    CHECK(f.router.attemptTimeoutFor("sales.list") == Millis(50));  // ~2 ms answers: the floor
    f.submit("slow");
    f.clock.advance(Millis(51));
    f.router.tick();  // not 250 ms: a stopped replica costs the client ~50 ms
    CHECK(f.sent.back().replica == "query-2");
    for (int i = 0; i < 30; ++i) {
        f.submit("h" + std::to_string(i));
        f.clock.advance(Millis(400));
        f.answer(f.sent.back());
    }
    CHECK(f.router.attemptTimeoutFor("sales.list") == Millis(250));  // slow answers: the ceiling
}

TEST_CASE("query router: a min_seq the cluster already has does not wait like a read-your-writes query") {
    Fixture f;
    f.router.setHead(10);
    f.router.setHead(10);  // settled at 10
    for (int i = 0; i < 30; ++i) {
        f.submit("q" + std::to_string(i), 5);
        f.clock.advance(Millis(2));
        f.answer(f.sent.back());
    }
    f.submit("old-seq", 5);
    f.clock.advance(Millis(51));
    f.router.tick();
    CHECK(f.sent.back().replica == "query-2");  // the ordinary adaptive timeout, not 1.2 s
    f.answer(f.sent.back());
    f.submit("new-seq", 11);  // past the head: the replica may park it, so it gets the long wait
    const auto target = f.sent.back().replica;
    f.clock.advance(Millis(300));
    f.router.tick();
    CHECK(f.sent.back().replica == target);
}

TEST_CASE("query router: an unreachable replica (ROUTER_MANDATORY refusal) is passed over at once") {
    Fixture f;
    f.unreachable = {"query-1"};
    f.submit("a");
    REQUIRE(f.sent.size() == 1);
    CHECK(f.sent[0].replica == "query-2");
}

TEST_CASE("query router: with no live replica the client gets a clear error after the grace period") {
    Fixture f;
    for (auto n : {"query-1", "query-2", "query-3"}) f.live.markDown(n, "connection lost");
    f.submit("a");
    CHECK(f.sent.empty());
    CHECK(f.replies.empty());
    f.clock.advance(Millis(499));
    f.router.tick();
    CHECK(f.replies.empty());
    f.clock.advance(Millis(2));
    f.router.tick();
    REQUIRE(f.replies.size() == 1);
    auto e = f.reply(0);
    CHECK(e.kind == Kind::Error);
    CHECK(e.body["code"] == "unavailable");
    const std::string msg = e.body["message"];
    CHECK(msg.find("no query replica available: query-1 DOWN since") == 0);
    CHECK(msg.find("query-3 DOWN") != std::string::npos);
}

TEST_CASE("query router: a query waiting for a replica is sent as soon as one comes back") {
    Fixture f;
    for (auto n : {"query-1", "query-2", "query-3"}) f.live.markDown(n, "connection lost");
    f.submit("a");
    f.clock.advance(Millis(100));
    f.live.onHeartbeat(hb("query-3"));
    f.router.tick();
    REQUIRE(f.sent.size() == 1);
    CHECK(f.sent[0].replica == "query-3");
}

TEST_CASE("query router: a replica that is behind the query's sequence hands it on") {
    Fixture f;
    f.submit("a", 5);
    REQUIRE(f.sent.size() == 1);
    Envelope q = *decodeEnvelopeHeader(f.sent[0].bytes);
    Envelope behind = makeErrorReply(q.name, q.id, makeError("behind", "query-1 has applied 3"));
    f.router.onReply("query-1", f.sent[0].token, encodeEnvelope(behind), *peekEnvelope(encodeEnvelope(behind)));
    REQUIRE(f.sent.size() == 2);
    CHECK(f.sent[1].replica == "query-2");
    CHECK(f.replies.empty());
    // Once every live replica has said it is behind, the client hears so at once (not at the
    // overall timeout), and may retry later.
    for (std::size_t i = 1; i <= 2; ++i) {
        REQUIRE(f.sent.size() == i + 1);
        f.router.onReply(f.sent[i].replica, f.sent[i].token, encodeEnvelope(behind),
                         *peekEnvelope(encodeEnvelope(behind)));
    }
    REQUIRE(f.sent.size() == 3);
    REQUIRE(f.replies.size() == 1);
    CHECK(f.reply(0).body["code"] == "behind");
    CHECK(f.reply(0).id == "a");
}

TEST_CASE("query router: ahead_of_head from a replica is the answer - not tried elsewhere") {
    Fixture f;
    f.submit("a", 500);
    REQUIRE(f.sent.size() == 1);
    Envelope q = *decodeEnvelopeHeader(f.sent[0].bytes);
    const std::string ahead = encodeEnvelope(makeErrorReply(q.name, q.id, makeError("ahead_of_head", "up to 3")));
    f.router.onReply(f.sent[0].replica, f.sent[0].token, ahead, *peekEnvelope(ahead));
    CHECK(f.sent.size() == 1);
    REQUIRE(f.replies.size() == 1);
    CHECK(f.reply(0).body["code"] == "ahead_of_head");
}

TEST_CASE("query router: the overall timeout answers with an error") {
    Fixture f;
    f.submit("a");
    for (int i = 0; i < 50; ++i) {
        f.clock.advance(Millis(251));
        f.router.tick();
    }
    REQUIRE(f.replies.size() == 1);
    CHECK(f.reply(0).body["code"] == "timeout");
}

// A command router whose sends all go through broker-1, recorded with their tokens, and its answers.
struct RecordedRouter {
    ManualClock clock;
    std::vector<std::pair<uint64_t, std::string>> sent;
    std::vector<std::string> replies;
    CommandRouter router{clock, CommandRouter::Settings{},
                         [this](uint64_t t, const std::string& b) -> std::optional<std::string> {
                             sent.emplace_back(t, b);
                             return "broker-1";
                         },
                         [this](const Frames&, const std::string& b) { replies.push_back(b); }};
    // Submits a sale.delete with request id `id`.
    Envelope submit(const std::string& id) {
        Envelope c;
        c.kind = Kind::Command;
        c.name = "sale.delete";
        c.id = id;
        router.submit({}, *peekEnvelope(encodeEnvelope(c)), encodeEnvelope(c));
        return c;
    }
};

TEST_CASE("command router: resends with the same bytes after a timeout - the first reply wins") {
    RecordedRouter t;
    auto& [clock, sent, replies, router] = t;
    const Envelope c = t.submit("cmd-1");
    clock.advance(Millis(1501));
    router.tick();
    REQUIRE(sent.size() == 2);
    CHECK(sent[0].second == sent[1].second);  // same request id: the command node deduplicates
    CHECK(sent[0].first != sent[1].first);
    Envelope r = makeReply(c, {{"seq", 1}});
    router.onReply(sent[0].first, encodeEnvelope(r), *peekEnvelope(encodeEnvelope(r)));
    router.onReply(sent[1].first, encodeEnvelope(r), *peekEnvelope(encodeEnvelope(r)));
    CHECK(replies.size() == 1);
    CHECK(router.resends() == 1);
}

TEST_CASE("command router: 'no command node connected' is retried after a short backoff - then times out") {
    ManualClock clock;
    std::vector<uint64_t> sent;
    std::vector<std::string> replies;
    CommandRouter router(clock, CommandRouter::Settings{},
                         [&](uint64_t t, const std::string&) -> std::optional<std::string> {
                             sent.push_back(t);
                             return "broker-1";
                         },
                         [&](const Frames&, const std::string& b) { replies.push_back(b); });
    Envelope c;
    c.kind = Kind::Command;
    c.name = "sale.delete";
    c.id = "cmd-2";
    router.submit({}, *peekEnvelope(encodeEnvelope(c)), encodeEnvelope(c));
    Envelope no = makeErrorReply(c.name, c.id, makeError("unavailable", "no command node"));
    router.onReply(sent[0], encodeEnvelope(no), *peekEnvelope(encodeEnvelope(no)));
    CHECK(replies.empty());
    clock.advance(Millis(51));
    router.tick();
    CHECK(sent.size() == 2);
    clock.advance(Millis(10000));
    router.tick();
    REQUIRE(replies.size() == 1);
    auto e = *decodeEnvelopeHeader(replies[0]);
    CHECK(e.body["code"] == "timeout");
    CHECK(std::string(e.body["message"]).find("cmd-2") != std::string::npos);
}

TEST_CASE("command router: a command sent through a broker that goes is resent at once through another") {
    ManualClock clock;
    std::vector<std::pair<uint64_t, std::string>> sent;  // token, broker
    std::set<std::string> usable{"broker-1", "broker-2"};
    std::vector<std::string> replies;
    std::size_t next = 0;
    CommandRouter router(clock, CommandRouter::Settings{},
                         [&](uint64_t t, const std::string&) -> std::optional<std::string> {
                             // Round robin over the usable brokers, as the gateway does.
                             if (usable.empty()) return std::nullopt;
                             auto it = usable.begin();
                             std::advance(it, static_cast<std::ptrdiff_t>(next++ % usable.size()));
                             sent.emplace_back(t, *it);
                             return *it;
                         },
                         [&](const Frames&, const std::string& b) { replies.push_back(b); });
    Envelope c;
    c.kind = Kind::Command;
    c.name = "stock.receive";
    c.id = "cmd-3";
    router.submit({}, *peekEnvelope(encodeEnvelope(c)), encodeEnvelope(c));
    REQUIRE(sent.size() == 1);
    const std::string first = sent[0].second;
    usable.erase(first);
    router.onBrokersChanged(usable);  // no waiting for the attempt timeout
    REQUIRE(sent.size() == 2);
    CHECK(sent[1].second != first);
    router.onBrokersChanged(usable);  // nothing new: no resend
    CHECK(sent.size() == 2);
    Envelope r = makeReply(c, {{"seq", 1}});
    router.onReply(sent[1].first, encodeEnvelope(r), *peekEnvelope(encodeEnvelope(r)));
    CHECK(replies.size() == 1);
    CHECK(router.resends() == 1);
}

TEST_CASE("command router: refused until the deadline (no standby holds copies), the client gets the refusal") {
    ManualClock clock;
    std::vector<uint64_t> sent;
    std::vector<std::string> replies;
    CommandRouter router(clock, CommandRouter::Settings{},
                         [&](uint64_t t, const std::string&) -> std::optional<std::string> {
                             sent.push_back(t);
                             return "broker-1";
                         },
                         [&](const Frames&, const std::string& b) { replies.push_back(b); });
    Envelope c;
    c.kind = Kind::Command;
    c.name = "sale.delete";
    c.id = "cmd-3";
    router.submit({}, *peekEnvelope(encodeEnvelope(c)), encodeEnvelope(c));
    Envelope no = makeErrorReply(c.name, c.id, makeError("unavailable", "no standby command node holds a copy"));
    for (int i = 0; i < 400 && replies.empty(); ++i) {
        if (sent.size() > static_cast<std::size_t>(i))
            router.onReply(sent.back(), encodeEnvelope(no), *peekEnvelope(encodeEnvelope(no)));
        clock.advance(Millis(51));
        router.tick();
    }
    REQUIRE(replies.size() == 1);
    CHECK(sent.size() > 100);  // retried all along: it would have gone through once a standby came back
    auto e = *decodeEnvelopeHeader(replies[0]);
    CHECK(e.body["code"] == "unavailable");
    CHECK(std::string(e.body["message"]).find("no standby") != std::string::npos);
}

TEST_CASE("command router: cut off from every broker, waiting and new commands are answered cut_off at once - "
          "then it passes them on again") {
    ManualClock clock;
    std::vector<uint64_t> sent;
    std::vector<std::string> replies;
    CommandRouter router(clock, CommandRouter::Settings{},
                         [&](uint64_t t, const std::string&) -> std::optional<std::string> {
                             sent.push_back(t);
                             return "broker-1";
                         },
                         [&](const Frames&, const std::string& b) { replies.push_back(b); });
    Envelope c;
    c.kind = Kind::Command;
    c.name = "sale.delete";
    c.id = "cmd-cut";
    router.submit({}, *peekEnvelope(encodeEnvelope(c)), encodeEnvelope(c));
    REQUIRE(sent.size() == 1);
    router.setCutOff("no broker heard for over 300 ms");
    REQUIRE(replies.size() == 1);
    auto first = decodeEnvelope(replies[0]);
    REQUIRE(first.ok());
    CHECK(first->kind == Kind::Error);
    CHECK(first->body.value("code", "") == kErrorCutOff);
    CHECK(first->body.value("message", "").find("cmd-cut") != std::string::npos);  // the id to resend with
    CHECK(router.inFlight() == 0);
    // A new one is not sent anywhere: answered at once.
    c.id = "cmd-cut-2";
    router.submit({}, *peekEnvelope(encodeEnvelope(c)), encodeEnvelope(c));
    CHECK(sent.size() == 1);
    CHECK(replies.size() == 2);
    // A late reply to the first attempt is dropped: it was answered.
    Envelope r = makeReply(c, {{"seq", 1}});
    router.onReply(sent[0], encodeEnvelope(r), *peekEnvelope(encodeEnvelope(r)));
    CHECK(replies.size() == 2);
    router.setCutOff("");
    CHECK_FALSE(router.cutOff());
    router.submit({}, *peekEnvelope(encodeEnvelope(c)), encodeEnvelope(c));
    CHECK(sent.size() == 2);
    CHECK(replies.size() == 2);
}

TEST_CASE("query router: routing spread sends each query to the caught-up replica with the fewest outstanding") {
    Fixture f(/*spread=*/true);
    f.router.setHead(0);
    for (const char* id : {"a", "b", "c"}) f.submit(id);
    REQUIRE(f.sent.size() == 3);
    CHECK(f.sent[0].replica == "query-1");  // ties: the preference order
    CHECK(f.sent[1].replica == "query-2");
    CHECK(f.sent[2].replica == "query-3");
    CHECK(f.router.outstanding("query-1") == 1);
    // query-2 answers: it has the fewest now.
    f.answer(f.sent[1]);
    CHECK(f.router.outstanding("query-2") == 0);
    f.submit("d");
    CHECK(f.sent.back().replica == "query-2");
    // A replica far behind the head is not chosen while others are caught up.
    Heartbeat behind = hb("query-1", 0);
    f.live.onHeartbeat(behind);
    f.router.setHead(5000);
    f.router.setHead(5000);
    f.live.onHeartbeat(hb("query-2", 5000));
    f.live.onHeartbeat(hb("query-3", 5000));
    f.answer(f.sent[0]);
    f.answer(f.sent[2]);
    f.answer(f.sent[3]);
    for (const char* id : {"e", "f", "g", "h"}) f.submit(id);
    for (std::size_t i = f.sent.size() - 4; i < f.sent.size(); ++i) CHECK(f.sent[i].replica != "query-1");
    // A lost replica's queries move, and the counts follow them.
    f.live.markDown("query-2", "connection lost");
    f.router.onReplicaLost("query-2");
    CHECK(f.router.outstanding("query-2") == 0);
    CHECK(f.router.outstanding("query-3") == 4);
    // A timeout moves the attempt (query-1 is behind, query-2 down: none else is caught up, so
    // choose() falls back to the most advanced UP replica not tried).
    f.clock.advance(Millis(251));
    f.router.tick();
    CHECK(f.router.outstanding("query-3") == 0);
    CHECK(f.router.outstanding("query-1") == 4);
    for (std::size_t i = f.sent.size() - 4; i < f.sent.size(); ++i) f.answer(f.sent[i]);
    CHECK(f.router.inFlight() == 0);
    CHECK(f.router.outstanding("query-1") == 0);
    CHECK(f.replies.size() == 8);
}

TEST_CASE("query router: with spread, a read-your-writes query still goes to a replica that has its sequence") {
    Fixture f(/*spread=*/true);
    f.live.onHeartbeat(hb("query-1", 10));
    f.live.onHeartbeat(hb("query-2", 50));
    f.live.onHeartbeat(hb("query-3", 10));
    f.router.setHead(10);
    f.router.setHead(10);
    f.submit("mine", 50);
    REQUIRE(f.sent.size() == 1);
    CHECK(f.sent[0].replica == "query-2");
}

TEST_CASE("command router: when another command node leads, what is in flight is resent at once - same bytes") {
    RecordedRouter t;
    auto& [clock, sent, replies, router] = t;
    const Envelope c = t.submit("cmd-leader");
    REQUIRE(sent.size() == 1);
    clock.advance(Millis(20));  // long before the 1.5 s attempt timeout
    router.onLeaderChanged();
    REQUIRE(sent.size() == 2);
    CHECK(sent[1].second == sent[0].second);  // same request id: the command node deduplicates
    CHECK(router.resends() == 1);
    Envelope r = makeReply(c, {{"seq", 7}});
    router.onReply(sent[1].first, encodeEnvelope(r), *peekEnvelope(encodeEnvelope(r)));
    REQUIRE(replies.size() == 1);
    // Answered: nothing left to resend.
    router.onLeaderChanged();
    CHECK(sent.size() == 2);
}

TEST_CASE("query router: a replica stuck at an event it cannot apply gets no queries - all stuck is unavailable, "
          "naming the event") {
    Fixture f;
    Heartbeat stuck = hb("query-1", 6);
    stuck.stuckAt = 7;
    stuck.stuckReason = "product.renamed is not a known event";
    f.clock.advance(Millis(60));
    f.live.onHeartbeat(stuck);
    CHECK(f.live.isUp("query-1"));  // alive: its heartbeat comes from a loop that runs
    f.submit("a");
    REQUIRE(f.sent.size() == 1);
    CHECK(f.sent[0].replica == "query-2");
    auto change = f.selector.update(f.live, 6);
    REQUIRE(change);
    CHECK(change->to == "query-2");
    for (auto n : {"query-2", "query-3"}) {
        Heartbeat h = hb(n, 6);
        h.stuckAt = 7;
        h.stuckReason = "product.renamed is not a known event";
        f.live.onHeartbeat(h);
    }
    f.submit("b");
    CHECK(f.sent.size() == 1);
    f.clock.advance(Millis(501));
    f.router.tick();
    REQUIRE(f.replies.size() == 1);
    auto e = f.reply(0);
    CHECK(e.body["code"] == "unavailable");
    const std::string msg = e.body["message"];
    CHECK(msg.find("query-1 UP") != std::string::npos);
    CHECK(msg.find("stuck at 7: product.renamed is not a known event") != std::string::npos);
    CHECK(msg.find("a build that can apply event 7") != std::string::npos);
}

TEST_CASE("query router: unavailable from a replica (stuck, before its heartbeat said so) is tried elsewhere") {
    Fixture f;
    f.submit("a", 1);
    REQUIRE(f.sent.size() == 1);
    Envelope q = *decodeEnvelopeHeader(f.sent[0].bytes);
    Envelope r = makeErrorReply(q.name, q.id, makeError("unavailable", "query-1 is stuck at 1: x"));
    const std::string bytes = encodeEnvelope(r);
    f.router.onReply("query-1", f.sent[0].token, bytes, *peekEnvelope(bytes));
    REQUIRE(f.sent.size() == 2);
    CHECK(f.sent[1].replica == "query-2");
    f.answer(f.sent[1]);
    REQUIRE(f.replies.size() == 1);
    CHECK(f.reply(0).kind == Kind::Reply);
}
