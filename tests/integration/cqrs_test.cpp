// The whole CQRS path with real daemons: commands through the gateway, events to three replicas,
// identical read models, durable read models, and garbage that the gateway survives.
#include <doctest/doctest.h>

#include <signal.h>

#include <random>
#include <set>

#include <fmt/format.h>

#include "cluster.hpp"
#include "common/zmq_util.hpp"

// Every case here is a scenario (in every CI run) unless it says soak (scripts/soak.sh).
TEST_SUITE_BEGIN("scenario");

using namespace jupiter;
using jupiter::testing::Cluster;

namespace {

Doc items(const Result<Envelope>& r) {
    REQUIRE(r.ok());
    INFO(r->body.dump());
    REQUIRE(r->kind == Kind::Reply);
    return r->body;
}

// A few hundred mixed commands, some of which break business rules on purpose.
uint64_t sendMixedWorkload(Cluster& c, int& rejected) {
    std::mt19937 rng(42);
    uint64_t lastSeq = 0;
    auto ok = [&](const Result<Envelope>& r) {
        INFO((r.ok() ? std::string() : r.error().message));
        REQUIRE(r.ok());
        if (r->kind == Kind::Error) {
            ++rejected;
            return false;
        }
        lastSeq = std::max(lastSeq, r->body["seq"].get<uint64_t>());
        return true;
    };
    const char* docTypes[] = {"CEDULA", "TARJETA_IDENTIDAD", "PASAPORTE", "CEDULA_EXTRANJERIA"};
    for (int i = 1; i <= 20; ++i)
        ok(c.send("seller.create", {{"first_name", fmt::format("Ana{}", i)}, {"last_name", "Ruiz"},
                                    {"doc_type", docTypes[i % 4]}, {"doc_number", std::to_string(1000 + i)},
                                    {"phone", "3001234567"}}));
    // Duplicate document: rejected.
    ok(c.send("seller.create", {{"first_name", "X"}, {"last_name", "Y"}, {"doc_type", docTypes[1]},
                                {"doc_number", "1001"}, {"phone", "1"}}));
    for (int i = 1; i <= 10; ++i)
        ok(c.send("product.create", {{"code", fmt::format("P{}", i)}, {"description", "thing"}, {"price", 2.5 * i}}));
    for (int i = 1; i <= 10; ++i) ok(c.send("stock.receive", {{"product", i}, {"quantity", 100}}));
    for (int i = 1; i <= 250; ++i) {
        const auto kind = rng() % 10;
        if (kind < 7) {
            ok(c.send("sale.create", {{"seller", 1 + rng() % 22}, {"product", 1 + rng() % 10},
                                      {"quantity", static_cast<int>(1 + rng() % 30)}, {"client", "Luz"},
                                      {"invoice", fmt::format("F-{}", rng() % 300)}}));
        } else if (kind < 8) {
            ok(c.send("sale.delete", {{"id", 1 + rng() % 100}}));
        } else if (kind < 9) {
            ok(c.send("stock.receive", {{"product", 1 + rng() % 10}, {"quantity", 20}}));
        } else {
            ok(c.send("sale.update", {{"id", 1 + rng() % 100}, {"quantity", static_cast<int>(1 + rng() % 5)}}));
        }
    }
    ok(c.send("seller.delete", {{"id", 3}}));
    return lastSeq;
}

}  // namespace

TEST_CASE("cqrs: commands reach all three replicas and they agree exactly") {
    Cluster c;
    int rejected = 0;
    const uint64_t last = sendMixedWorkload(c, rejected);
    CHECK(rejected > 0);  // the workload breaks rules on purpose
    CHECK(last > 100);
    for (const char* q : {"sales.list", "sellers.list", "products.list", "inventory.value"}) {
        Doc body = Doc::object();
        if (std::string(q) != "inventory.value") body["limit"] = 1000;
        const Doc first = items(c.query(q, body, 1, last));
        for (int r = 2; r <= 3; ++r) {
            INFO(q << " on query-" << r);
            CHECK(items(c.query(q, body, r, last)) == first);
        }
    }
    // Same state, same digest, on all three and on the command node's write model.
    std::set<uint64_t> digests;
    for (const auto& node : {"command", "query-1", "query-2", "query-3"}) {
        Client cl(c.ctx(), c.credentials(), c.endpoint(node));
        auto d = cl.call(makeRequest(Kind::Control, "digest", Doc::object()), Millis(3000));
        REQUIRE(d.ok());
        CHECK(d->body["seq"] == last);
        digests.insert(d->body["digest"].get<uint64_t>());
    }
    CHECK(digests.size() == 1);
}

TEST_CASE("cqrs: the CLI sends - rejects with a reason - and queries each replica") {
    Cluster c;
    auto created = c.cli("send seller.create first_name=Ana last_name=Ruiz doc_type=CEDULA doc_number=1020 "
                         "phone=3001234567");
    INFO(created.output);
    CHECK(created.exitCode == 0);
    CHECK(created.output.find("id=1") != std::string::npos);
    auto dup = c.cli("send seller.create first_name=Eva last_name=Paz doc_type=CEDULA doc_number=1020 phone=1");
    INFO(dup.output);
    CHECK(dup.exitCode == 1);
    CHECK(dup.output.find("1020") != std::string::npos);
    for (int r = 1; r <= 3; ++r) {
        auto q = c.cli(fmt::format("query sellers.list --replica {}", r));
        INFO(q.output);
        CHECK(q.exitCode == 0);
        CHECK(q.output.find("Ruiz") != std::string::npos);
        CHECK(q.output.find(fmt::format("query-{}", r)) != std::string::npos);
    }
    auto json = c.cli("query seller.get id=1 --json");
    CHECK(json.exitCode == 0);
    CHECK(Doc::parse(json.output)["body"]["first_name"] == "Ana");
}

TEST_CASE("cqrs: a restarted query node still has its data (RocksDB - not memory)") {
    Cluster c;
    uint64_t last = 0;
    for (int i = 1; i <= 30; ++i) {
        auto r = c.send("product.create", {{"code", fmt::format("C{}", i)}, {"description", "d"}, {"price", 1.25}});
        REQUIRE(r.ok());
        last = r->body["seq"].get<uint64_t>();
    }
    const Doc before = items(c.query("products.list", {{"limit", 100}}, 2, last));
    REQUIRE(before["items"].size() == 30);
    const int pid = c.pid("query-2");
    REQUIRE(pid > 0);
    REQUIRE(c.cli("kill query-2 --signal TERM").exitCode == 0);
    REQUIRE(Cluster::waitFor([&] { return kill(pid, 0) != 0; }, Millis(5000)));
    // With the command node stopped, query-2 cannot replay anything: what it serves is on its disk.
    REQUIRE(c.cli("kill command --signal STOP").exitCode == 0);
    auto started = c.cli("start query-2");
    INFO(started.output);
    REQUIRE(started.exitCode == 0);
    CHECK(items(c.query("products.list", {{"limit", 100}}, 2)) == before);
    REQUIRE(c.cli("kill command --signal CONT").exitCode == 0);
}

TEST_CASE("cqrs: garbage sent to the gateway gets structured errors and the cluster keeps serving") {
    Cluster c;
    Client raw(c.ctx(), c.credentials(), c.endpoint(c.first(Role::Gateway)));
    const std::vector<std::string> garbage = {
        "not msgpack at all",
        std::string("\x81\xa1v\x02", 4),  // {"v": 2}
        packDoc({{"v", 1}, {"kind", "command"}, {"name", "sale.explode"}, {"id", "g1"}, {"body", Doc::object()}}),
        packDoc({{"v", 1}, {"kind", "command"}, {"name", "sale.create"}, {"id", "g2"},
                 {"body", {{"seller", "one"}}}}),
        packDoc({{"v", 1}, {"kind", "weird"}, {"name", "x"}, {"id", "g3"}, {"body", Doc::object()}}),
        std::string(1, '\xc1'),
    };
    for (const auto& g : garbage) {
        REQUIRE(raw.sendRaw(g));
        auto reply = raw.receiveRaw(Millis(3000));
        REQUIRE(reply);
        auto env = decodeEnvelopeHeader(*reply);
        REQUIRE(env.ok());
        CHECK(env->kind == Kind::Error);
        CHECK_FALSE(env->body["message"].get<std::string>().empty());
    }
    // Oversized: the socket refuses it (ZMQ_MAXMSGSIZE) and drops the connection; nothing crashes.
    {
        Client big(c.ctx(), c.credentials(), c.endpoint(c.first(Role::Gateway)));
        big.sendRaw(std::string(kMaxMessageBytes + 10, 'x'));
    }
    // Garbage frames on a raw socket with odd framing.
    {
        zmq::socket_t s = makeSocket(c.ctx(), zmq::socket_type::dealer);
        s.connect(c.endpoint(c.first(Role::Gateway)));
        sendFrames(s, {"a", "b", "c", ""});
        sendFrames(s, {""});
    }
    auto ok = c.send("product.create", {{"code", "after"}, {"description", "garbage"}, {"price", 3}});
    REQUIRE(ok.ok());
    CHECK(ok->kind == Kind::Reply);
    auto q = c.query("product.get", {{"id", ok->body["id"]}}, 0, ok->body["seq"].get<uint64_t>());
    REQUIRE(q.ok());
    CHECK(q->body["code"] == "after");
}

TEST_SUITE_END();
