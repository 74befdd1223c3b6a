// Group commit and request-id deduplication of the command node, on a real RocksDB store.
#include <doctest/doctest.h>

#include <random>

#include "command/command_processor.hpp"
#include "command/event_log.hpp"
#include "schemas/envelope.hpp"
#include "tests/command/commands.hpp"

using namespace jupiter;
using jupiter::testing::productCreate;

namespace {

struct TempStore {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("jupiter-cmd-test-" + std::to_string(std::random_device{}()));
    std::unique_ptr<Store> store;
    TempStore() { reopen(); }
    void reopen() {
        store.reset();
        store = std::move(Store::open(path, {}).value());
    }
    ~TempStore() {
        store.reset();
        std::filesystem::remove_all(path);
    }
};

Envelope decodeReply(const CommandProcessor::Reply& r) { return decodeEnvelopeHeader(r.bytes).value(); }

}  // namespace

TEST_CASE("command processor: a group of commands shares one commit - in order - with consecutive sequences") {
    TempStore t;
    ManualClock clock;
    CommandProcessor p(*t.store, clock, "command-1", true);
    p.handle({}, productCreate("r1", "A"));
    p.handle({}, productCreate("r2", "B"));
    p.handle({}, productCreate("r3", "A"));  // duplicate code: decided against the group's own first write
    CHECK(t.store->seq() == 0);        // nothing durable (nor acknowledged) before commit
    auto g = p.commit();
    REQUIRE(g.ok());
    REQUIRE(g->replies.size() == 3);
    CHECK(decodeReply(g->replies[0]).body["seq"] == 1);
    CHECK(decodeReply(g->replies[1]).body["seq"] == 2);
    CHECK(decodeReply(g->replies[2]).kind == Kind::Error);
    CHECK(g->events.size() == 2);
    CHECK(t.store->seq() == 2);
    CHECK(readEvents(*t.store, 1, 10).size() == 2);
    CHECK(readEvents(*t.store, 2, 10)[0]["seq"] == 2);
}

TEST_CASE("command processor: a resent request id returns the original outcome and is not applied again") {
    TempStore t;
    ManualClock clock;
    {
        CommandProcessor p(*t.store, clock, "command-1", true);
        p.handle({}, productCreate("same", "A"));
        p.handle({}, productCreate("same", "A"));  // in the same group
        auto g = p.commit();
        REQUIRE(g.ok());
        CHECK(decodeReply(g->replies[1]).body["duplicate"] == true);
        CHECK(decodeReply(g->replies[1]).body["seq"] == 1);
        CHECK(g->events.size() == 1);
    }
    t.reopen();  // after a restart, still remembered
    CommandProcessor p(*t.store, clock, "command-1", true);
    p.handle({}, productCreate("same", "A"));
    Envelope rejected = productCreate("bad", "A");  // rejected outcomes are remembered too
    p.handle({}, rejected);
    auto g = p.commit();
    REQUIRE(g.ok());
    auto dup = decodeReply(g->replies[0]);
    CHECK(dup.kind == Kind::Reply);
    CHECK(dup.body["id"] == 1);
    CHECK(dup.body["duplicate"] == true);
    CHECK(t.store->seq() == 1);
    p.handle({}, rejected);
    auto again = p.commit();
    CHECK(decodeReply(again->replies[0]).kind == Kind::Error);
    CHECK(decodeReply(again->replies[0]).body["duplicate"] == true);
}

TEST_CASE("command processor: remembered outcomes are bounded - oldest forgotten first") {
    TempStore t;
    ManualClock clock;
    CommandProcessor p(*t.store, clock, "command-1", false, 3);
    for (int i = 1; i <= 5; ++i) p.handle({}, productCreate("r" + std::to_string(i), "C" + std::to_string(i)));
    REQUIRE(p.commit().ok());
    CHECK_FALSE(t.store->get("d/0:r1"));  // no client: the key is "d/", the client's length, ':', client, id
    CHECK_FALSE(t.store->get("d/0:r2"));
    CHECK(t.store->get("d/0:r3"));
    CHECK(t.store->get("d/0:r5"));
}

TEST_CASE("command processor: request ids are each client's own - the same client's id for another command is "
          "refused as id_reused") {
    TempStore t;
    ManualClock clock;
    CommandProcessor p(*t.store, clock, "command-1", true);
    auto from = [](std::string client, Envelope e) {
        e.client = std::move(client);
        return e;
    };
    p.handle({}, from("alice", productCreate("1", "A")));
    p.handle({}, from("bob", productCreate("1", "B")));           // bob's own id 1: applied
    p.handle({}, from("alice", productCreate("1", "A")));         // alice's resend: her first outcome
    p.handle({}, from("alice", productCreate("1", "C")));         // another body under her id 1
    Envelope renamed = from("alice", productCreate("1", "A"));
    renamed.name = "seller.delete";
    renamed.body = {{"id", 1}};
    p.handle({}, renamed);                                        // another command under her id 1
    p.handle({}, from("ali", productCreate("ce1", "D")));         // "ali"+"ce1" is not "alice"+"1"
    auto g = p.commit();
    REQUIRE(g.ok());
    REQUIRE(g->replies.size() == 6);
    CHECK(decodeReply(g->replies[0]).body["seq"] == 1);
    CHECK(decodeReply(g->replies[1]).body["seq"] == 2);
    CHECK_FALSE(decodeReply(g->replies[1]).body.contains("duplicate"));
    CHECK(decodeReply(g->replies[2]).body["duplicate"] == true);
    CHECK(decodeReply(g->replies[2]).body["seq"] == 1);
    for (int i : {3, 4}) {
        auto e = decodeReply(g->replies[static_cast<std::size_t>(i)]);
        CHECK(e.kind == Kind::Error);
        CHECK(e.body["code"] == "id_reused");
        CHECK(e.body["field"] == "id");
        CHECK(e.body["message"].get<std::string>().find("product.create") != std::string::npos);
    }
    CHECK(decodeReply(g->replies[5]).body["seq"] == 3);
    CHECK(t.store->seq() == 3);
    // The refusal is not remembered: the id still answers for its first command.
    p.handle({}, from("alice", productCreate("1", "A")));
    auto again = p.commit();
    CHECK(decodeReply(again->replies[0]).body["duplicate"] == true);
}

TEST_CASE("command processor: a command without a request id is refused") {
    TempStore t;
    ManualClock clock;
    CommandProcessor p(*t.store, clock, "command-1", false);
    p.handle({}, productCreate("", "A"));
    auto g = p.commit();
    CHECK(decodeReply(g->replies[0]).body["code"] == "bad_field");
    CHECK(t.store->seq() == 0);
}

TEST_CASE("command processor: a replay reply carries the stored events undecoded - up to the committed sequence") {
    TempStore t;
    ManualClock clock;
    CommandProcessor p(*t.store, clock, "command-1", true);
    for (int i = 0; i < 6; ++i) p.handle({}, productCreate("r" + std::to_string(i), "P" + std::to_string(i)));
    REQUIRE(p.commit().ok());
    Envelope req;
    req.name = "replay";
    req.id = "q-1";
    req.body = {{"from", 2}, {"max", 10}};
    auto decoded = [&](std::string packedBody) {
        Envelope reply = makeReply(req, Doc::object());
        reply.packedBody = std::move(packedBody);
        reply.seq = 6;
        auto env = decodeEnvelopeHeader(encodeEnvelope(reply));
        REQUIRE(env.ok());
        CHECK(env->seq == std::optional<uint64_t>(6));
        CHECK(env->id == req.id);
        return env->body;
    };
    Doc body = decoded(packReplayBody(*t.store, 2, 4, 10, 1u << 20, 4, 7));
    CHECK(body["head"] == 4);
    CHECK(body["epoch"] == 7);
    CHECK(body["events"] == readEvents(*t.store, 2, 3));  // 2..4: not past the committed 4
    CHECK(decoded(packReplayBody(*t.store, 2, 6, 2, 1u << 20, 6, 0))["events"].size() == 2);  // max
    CHECK(decoded(packReplayBody(*t.store, 2, 6, 10, 1, 6, 0))["events"].size() == 1);        // bytes: one at least
    CHECK(decoded(packReplayBody(*t.store, 7, 6, 10, 1u << 20, 6, 0))["events"].empty());     // nothing yet
}
