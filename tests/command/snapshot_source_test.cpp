// Copies of the state for replicas, read out of a real store with a manual clock: consistent while
// the store moves on, finished only once committed, refused once taken back or let go; and the
// replica's side (SnapshotInstaller) installing them, starting over when a source fails it.
#include <doctest/doctest.h>

#include "command/snapshot_source.hpp"
#include "query/snapshot_installer.hpp"
#include "temp_dir.hpp"

using namespace jupiter;
using jupiter::testing::TempDir;

namespace {

std::unique_ptr<Store> openStore(const std::filesystem::path& dir) {
    auto s = Store::open(dir, {});
    REQUIRE(s.ok());
    return std::move(*s);
}

void putState(Store& store, int from, int to, uint64_t seq) {
    auto txn = store.begin();
    for (int i = from; i < to; ++i)
        txn->put("s/r/" + keyNum(static_cast<uint64_t>(i)), std::string(static_cast<std::size_t>(40 + i % 7), 'v'));
    txn->put("e/not-state", "x");
    txn->setSeq(seq);
    REQUIRE(store.commit(*txn, false).ok());
}

SnapshotPoint pointOf(const Store& s) { return {s.seq(), s.digest(), {}}; }

Doc unpacked(const std::string& body) {
    auto d = unpackDoc(body);
    REQUIRE(d.ok());
    return *d;
}

}  // namespace

TEST_CASE("snapshot source: a copy is read out in chunks, in key order, as it was when taken") {
    TempDir dir("snapshot");
    ManualClock clock;
    auto store = openStore(dir.path / "s");
    putState(*store, 0, 300, 300);
    const uint64_t digest = store->digest();
    SnapshotSource source(*store, clock, [](const SnapshotPoint&) { return PointStanding::Committed; });

    auto first = source.answer(Doc::object(), pointOf(*store));
    REQUIRE(first.ok());
    putState(*store, 300, 400, 400);  // the store moves on; the copy does not
    Doc chunk = unpacked(*first);
    const uint64_t id = chunk["snapshot"].get<uint64_t>();
    CHECK(chunk["seq"] == 300);
    CHECK(chunk["digest"] == digest);
    std::vector<std::string> keys;
    while (true) {
        const auto& records = chunk["records"];
        REQUIRE(records.size() % 2 == 0);
        for (std::size_t i = 0; i < records.size(); i += 2) keys.push_back(records[i].get<std::string>());
        if (chunk["done"].get<bool>()) break;
        REQUIRE_FALSE(keys.empty());
        auto next = source.answer({{"snapshot", id}, {"after", keys.back()}, {"max_bytes", 1024}}, pointOf(*store));
        REQUIRE(next.ok());
        chunk = unpacked(*next);
        CHECK(chunk["records"].size() <= 2 * 30);  // about 1 KiB of records
    }
    REQUIRE(keys.size() == 300);
    for (std::size_t i = 0; i < keys.size(); ++i) CHECK(keys[i] == "s/r/" + keyNum(i));
    CHECK(source.held() == 0);  // let go once sent
    auto again = source.answer({{"snapshot", id}, {"after", keys.back()}}, pointOf(*store));
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().code == "snapshot_gone");
}

TEST_CASE("snapshot source: not done until committed - refused once taken back - let go when idle") {
    TempDir dir("snapshot");
    ManualClock clock;
    auto store = openStore(dir.path / "s");
    putState(*store, 0, 10, 10);
    PointStanding standing = PointStanding::Pending;
    SnapshotSource source(*store, clock, [&](const SnapshotPoint&) { return standing; });

    Doc chunk = unpacked(source.answer({{"max_bytes", 1u << 20}}, pointOf(*store)).value());
    const uint64_t id = chunk["snapshot"].get<uint64_t>();
    CHECK(chunk["records"].size() == 20);
    CHECK_FALSE(chunk["done"].get<bool>());  // every record sent, but not committed yet
    const std::string last = chunk["records"][18].get<std::string>();
    chunk = unpacked(source.answer({{"snapshot", id}, {"after", last}}, pointOf(*store)).value());
    CHECK(chunk["records"].empty());
    CHECK_FALSE(chunk["done"].get<bool>());
    standing = PointStanding::Committed;
    chunk = unpacked(source.answer({{"snapshot", id}, {"after", last}}, pointOf(*store)).value());
    CHECK(chunk["done"].get<bool>());

    SUBCASE("taken back") {
        standing = PointStanding::Pending;
        const uint64_t second = unpacked(source.answer(Doc::object(), pointOf(*store)).value())["snapshot"].get<uint64_t>();
        standing = PointStanding::TakenBack;
        auto r = source.answer({{"snapshot", second}, {"after", last}}, pointOf(*store));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == "snapshot_gone");
        CHECK(source.held() == 0);
    }
    SUBCASE("idle") {
        standing = PointStanding::Pending;
        const uint64_t second = unpacked(source.answer({{"max_bytes", 1024}}, pointOf(*store)).value())["snapshot"].get<uint64_t>();
        clock.advance(kSnapshotIdle);
        source.expire();
        CHECK(source.held() == 0);
        CHECK(source.takeNews().find("let go") != std::string::npos);
        CHECK(source.answer({{"snapshot", second}}, pointOf(*store)).error().code == "snapshot_gone");
    }
}

TEST_CASE("snapshot installer: installs a source's copy, and starts over from the next one when a source fails it") {
    TempDir dir("snapshot");
    ManualClock clock;
    auto leader = openStore(dir.path / "leader");
    putState(*leader, 0, 500, 777);
    auto replica = openStore(dir.path / "replica");
    putState(*replica, 1000, 1010, 5);  // stale state that must go
    SnapshotSource source(*leader, clock, [](const SnapshotPoint&) { return PointStanding::Committed; });
    SnapshotInstaller installer(*replica, clock, {"command-1", "command-2"}, 2048, Millis(1000));

    REQUIRE(installer.start("command-2").ok());
    CHECK(installer.active());
    CHECK(replica->seq() == 0);

    SUBCASE("a source that does not answer, then one that sends garbage") {
        auto r = installer.due();
        REQUIRE(r);
        CHECK(r->node == "command-2");
        CHECK_FALSE(installer.due());  // one request in flight
        clock.advance(Millis(1000));
        CHECK_FALSE(installer.due());  // timed out: starts over from the next source, after a pause
        CHECK(installer.takeTrouble().find("no answer") != std::string::npos);
        clock.advance(Millis(200));
        r = installer.due();
        REQUIRE(r);
        CHECK(r->node == "command-1");
        auto bad = installer.onReply("command-1", r->id, Doc{{"records", "nope"}}, false);
        REQUIRE(bad.ok());
        CHECK_FALSE(bad->has_value());
        CHECK(installer.takeTrouble().find("malformed") != std::string::npos);
        clock.advance(Millis(200));
    }
    SUBCASE("a late answer from a source given up on is ignored") {
        auto r = installer.due();
        REQUIRE(r);
        auto late = installer.onReply("command-1", r->id, Doc::object(), false);
        REQUIRE(late.ok());
        CHECK_FALSE(late->has_value());
        auto stale = installer.onReply("command-2", "snapshot-0", Doc::object(), false);  // an answer to an older request
        REQUIRE(stale.ok());
        CHECK_FALSE(stale->has_value());
        CHECK(installer.takeTrouble().empty());  // neither was taken for the answer
        CHECK(installer.due() == std::nullopt);  // still waiting for command-2
        clock.advance(Millis(1200));
        CHECK_FALSE(installer.due());
        CHECK(installer.takeTrouble().find("from command-2 started over: no answer") != std::string::npos);
        clock.advance(Millis(200));
    }

    // From here every request is answered by the source.
    std::optional<SnapshotInstaller::Finished> finished;
    for (int turns = 0; turns < 1000 && !finished; ++turns) {
        auto r = installer.due();
        REQUIRE(r);
        auto body = source.answer(r->body, pointOf(*leader));
        REQUIRE(body.ok());
        auto got = installer.onReply(r->node, r->id, unpacked(*body), false);
        REQUIRE(got.ok());
        finished = *got;
    }
    REQUIRE(finished);
    CHECK(finished->seq == 777);
    CHECK(finished->records == 500);
    CHECK_FALSE(installer.active());
    CHECK(replica->seq() == 777);
    CHECK(replica->digest() == leader->digest());
    CHECK(replica->recomputeDigest() == leader->digest());
    CHECK_FALSE(StateInstall::interrupted(*replica));
}

TEST_CASE("snapshot installer: a copy whose digest does not match is not kept") {
    TempDir dir("snapshot");
    ManualClock clock;
    auto replica = openStore(dir.path / "replica");
    SnapshotInstaller installer(*replica, clock, {"command-1"}, 2048, Millis(1000));
    REQUIRE(installer.start("").ok());
    auto r = installer.due();
    REQUIRE(r);
    Doc lie = {{"snapshot", 1u}, {"seq", 10u}, {"digest", 42u}, {"done", true}, {"records", Doc::array({"s/a", "1"})}};
    auto got = installer.onReply("command-1", r->id, lie, false);
    REQUIRE(got.ok());
    CHECK_FALSE(got->has_value());
    const std::string trouble = installer.takeTrouble();
    INFO(trouble);
    CHECK(trouble.find("digest") != std::string::npos);
    CHECK(installer.active());  // starting over
    CHECK(replica->seq() == 0);
    CHECK(StateInstall::interrupted(*replica));
}
