// The client protocol's edges with real daemons, as a client written from the spec meets them: a
// min_seq past the head, request ids that belong to their client, refusals that echo the request,
// messages over the size limit. Each finding of the first outside client has a check here.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include "cluster.hpp"
#include "common/zmq_util.hpp"

// Every case here is a scenario (in every CI run) unless it says soak (scripts/soak.sh).
TEST_SUITE_BEGIN("scenario");

using namespace jupiter;
using namespace jupiter::testing;

namespace {

Envelope callRaw(Client& c, const std::string& bytes) {
    REQUIRE(c.sendRaw(bytes));
    auto reply = c.receiveRaw(Millis(5000));
    REQUIRE(reply);
    auto env = decodeEnvelopeHeader(*reply);
    REQUIRE(env.ok());
    return std::move(*env);
}

Doc header(const std::string& kind, const std::string& name, const std::string& id) {
    return {{"v", 1}, {"kind", kind}, {"name", name}, {"id", id}};
}

int countLines(const std::vector<std::string>& lines, const std::string& what) {
    int n = 0;
    for (const auto& l : lines) n += l.find(what) != std::string::npos;
    return n;
}

}  // namespace

TEST_CASE("protocol: a min_seq past the head is answered ahead_of_head at once and moves no replica") {
    Cluster c;
    auto w = c.send("product.create", {{"code", "P1"}, {"description", "d"}, {"price", 2}});
    REQUIRE(w.ok());
    REQUIRE(w->kind == Kind::Reply);
    const uint64_t head = w->body["seq"].get<uint64_t>();

    // Far past the head, through the gateway and straight to a replica.
    for (int replica : {0, 1}) {
        auto r = c.query("sellers.list", Doc::object(), replica, head + 50000);
        REQUIRE(r.ok());
        INFO(r->body.dump());
        CHECK(r->kind == Kind::Error);
        CHECK(r->body["code"] == "ahead_of_head");
        CHECK(r->body["field"] == "min_seq");
        CHECK(r->body["message"].get<std::string>().find(fmt::format("up to {}", head)) != std::string::npos);
    }
    // One past the head: the same, not a 10 s timeout.
    auto next = c.query("sellers.list", Doc::object(), 0, head + 1);
    REQUIRE(next.ok());
    CHECK(next->body["code"] == "ahead_of_head");

    // Every replica still serves, at the real head, and none installed a copy or heard of a made-up head.
    for (int i = 1; i <= static_cast<int>(c.replicas().size()); ++i) {
        auto r = c.query("products.list", Doc::object(), i, head);
        REQUIRE(r.ok());
        CHECK(r->kind == Kind::Reply);
        CHECK(r->seq == head);
    }
    for (const auto& replica : c.replicas()) CHECK(countLines(c.logLines(replica), "installing a copy") == 0);
    auto status = c.cli("status --json");
    REQUIRE(status.exitCode == 0);
    CHECK(status.output.find(std::to_string(head + 50000)) == std::string::npos);

    // A read-your-writes query for a sequence just written still waits for it and is answered.
    auto w2 = c.send("product.create", {{"code", "P2"}, {"description", "d"}, {"price", 3}});
    REQUIRE(w2.ok());
    auto ryw = c.query("product.get", {{"id", w2->body["id"]}}, 0, w2->body["seq"].get<uint64_t>());
    REQUIRE(ryw.ok());
    CHECK(ryw->kind == Kind::Reply);
}

TEST_CASE("protocol: every refusal echoes the request's id and name - names its field - and size is answered") {
    Cluster c;
    Client raw(c.ctx(), c.credentials(), c.endpoint(c.first(Role::Gateway)));
    struct Case {
        std::string what;
        Doc envelope;
        std::string code;
        std::string field;
    };
    std::vector<Case> cases;
    {
        Doc d = header("query", "sellers.list", "e-version");
        d["v"] = 2;
        d["body"] = Doc::object();
        cases.push_back({"bad version", d, "bad_version", "v"});
    }
    cases.push_back({"no body", header("query", "sellers.list", "e-nobody"), "malformed", "body"});
    {
        Doc d = header("query", "sellers.list", "e-nov");
        d.erase("v");
        d["body"] = Doc::object();
        cases.push_back({"no v", d, "malformed", "v"});
    }
    {
        Doc d = header("weird", "sellers.list", "e-kind");
        d["body"] = Doc::object();
        cases.push_back({"unknown kind", d, "unknown_message", "kind"});
    }
    {
        Doc d = header("query", "sellers.list", "e-minseq");
        d["body"] = Doc::object();
        d["min_seq"] = "12";
        cases.push_back({"string min_seq", d, "malformed", "min_seq"});
    }
    {
        Doc d = header("command", "seller.create", "e-field");
        d["body"] = {{"first_name", 7}};
        cases.push_back({"wrong type", d, "bad_field", "first_name"});
    }
    {
        Doc d = header("command", "product.create", "e-unknown-field");
        d["body"] = {{"code", "X"}, {"description", "d"}, {"price", 1}, {"colour", "red"}};
        cases.push_back({"unknown body field", d, "bad_field", "colour"});
    }
    {
        Doc d = header("command", "stock.receive", "e-notfound");
        d["body"] = {{"product", 999}, {"quantity", 1}};
        cases.push_back({"missing entity", d, "not_found", "product"});
    }
    {
        Doc d = header("command", "product.create", "");
        d["body"] = {{"code", "X"}, {"description", "d"}, {"price", 1}};
        cases.push_back({"empty id", d, "bad_field", "id"});
    }
    {
        Doc d = header("command", "product.create", "e-client");
        d["body"] = {{"code", "X"}, {"description", "d"}, {"price", 1}};
        d["client"] = "someone-else";
        cases.push_back({"client field set by a client", d, "bad_field", "client"});
    }
    for (const auto& k : cases) {
        INFO(k.what);
        Envelope e = callRaw(raw, packDoc(k.envelope));
        INFO(e.body.dump());
        CHECK(e.kind == Kind::Error);
        CHECK(e.body["code"] == k.code);
        CHECK(e.id == k.envelope.value("id", ""));
        CHECK(e.name == k.envelope.value("name", ""));
        CHECK(e.body.value("field", "") == k.field);
    }
    // Over 64 KiB (within what is read): answered too_large, the id echoed; the connection goes on.
    Doc big = header("command", "product.create", "e-big");
    big["body"] = {{"code", std::string(kMaxRequestBytes, 'x')}, {"description", "d"}, {"price", 1}};
    Envelope tooLarge = callRaw(raw, packDoc(big));
    CHECK(tooLarge.body["code"] == "too_large");
    CHECK(tooLarge.id == "e-big");
    Envelope after = callRaw(raw, packDoc([] {
                                 Doc d = header("query", "sellers.list", "e-after");
                                 d["body"] = Doc::object();
                                 return d;
                             }()));
    CHECK(after.kind == Kind::Reply);
    CHECK(after.id == "e-after");
}

TEST_CASE("protocol: request ids belong to their client - another's id is not a duplicate - a reused id is refused") {
    Cluster c;
    REQUIRE(c.cli("client add alice --role writer").exitCode == 0);
    REQUIRE(c.cli("client add bob --role writer").exitCode == 0);
    Client alice(c.ctx(), c.keysOf("alice"), c.endpoint(c.first(Role::Gateway)));
    Client bob(c.ctx(), c.keysOf("bob"), c.endpoint(c.first(Role::Gateway)));
    for (Client* cl : {&alice, &bob}) {  // the daemons read new keys twice a second
        REQUIRE(Cluster::waitFor([&] {
            auto q = cl->call(makeRequest(Kind::Query, "sellers.list", Doc::object()), Millis(1000), 1);
            return q.ok() && q->kind == Kind::Reply;
        }, Millis(10000)));
    }
    const Doc product = {{"code", "A-1"}, {"description", "d"}, {"price", 2}};
    auto a = alice.call(makeRequest(Kind::Command, "product.create", product, "1"), Millis(3000));
    REQUIRE(a.ok());
    REQUIRE(a->kind == Kind::Reply);
    // Bob's command with Alice's id is Bob's own: applied.
    const Doc seller = {{"first_name", "B"}, {"last_name", "X"}, {"doc_type", "CEDULA"}, {"doc_number", "9"},
                        {"phone", "1"}};
    auto b = bob.call(makeRequest(Kind::Command, "seller.create", seller, "1"), Millis(3000));
    REQUIRE(b.ok());
    INFO(b->body.dump());
    CHECK(b->kind == Kind::Reply);
    CHECK_FALSE(b->body.contains("duplicate"));
    CHECK(b->body["seq"].get<uint64_t>() > a->body["seq"].get<uint64_t>());
    // Alice resending the same command: its first outcome.
    auto again = alice.call(makeRequest(Kind::Command, "product.create", product, "1"), Millis(3000));
    REQUIRE(again.ok());
    CHECK(again->body["duplicate"] == true);
    CHECK(again->body["seq"] == a->body["seq"]);
    // Alice reusing the id for another body, or another command: refused, naming the first.
    Doc other = product;
    other["code"] = "A-2";
    for (const auto& req : {makeRequest(Kind::Command, "product.create", other, "1"),
                            makeRequest(Kind::Command, "seller.create", seller, "1")}) {
        auto reused = alice.call(req, Millis(3000));
        REQUIRE(reused.ok());
        INFO(reused->body.dump());
        CHECK(reused->kind == Kind::Error);
        CHECK(reused->body["code"] == "id_reused");
        CHECK(reused->body["field"] == "id");
        CHECK(reused->body["message"].get<std::string>().find("product.create") != std::string::npos);
    }
    auto list = c.query("products.list", Doc::object(), 0, b->body["seq"].get<uint64_t>());
    REQUIRE(list.ok());
    CHECK(list->body["items"].size() == 1);
    auto sellers = c.query("sellers.list", Doc::object(), 0, b->body["seq"].get<uint64_t>());
    REQUIRE(sellers.ok());
    CHECK(sellers->body["items"].size() == 1);
}

TEST_SUITE_END();
