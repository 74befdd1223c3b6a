// The replication log on real RocksDB stores: a standby that applies the leader's entries holds
// the same store key for key; a deposed leader takes back what only it wrote; entries that do not
// follow or leave another digest are refused without changing anything.
#include <doctest/doctest.h>

#include <random>

#include "command/command_processor.hpp"
#include "command/event_log.hpp"
#include "command/replication_log.hpp"
#include "schemas/envelope.hpp"
#include "tests/command/commands.hpp"

using namespace jupiter;
using jupiter::testing::productCreate;

namespace {

struct Node {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("jupiter-replog-test-" + std::to_string(std::random_device{}()));
    std::unique_ptr<Store> store = std::move(Store::open(path, {}).value());
    ReplicationLog log{*store};
    ~Node() {
        store.reset();
        std::filesystem::remove_all(path);
    }
};

// One group of `n` new products written by `leader` at `epoch`; returns the entry index.
uint64_t group(Node& leader, CommandProcessor& p, uint64_t epoch, const std::string& prefix, int n) {
    for (int i = 0; i < n; ++i) p.handle({}, productCreate(prefix + std::to_string(i), prefix + "-" + std::to_string(i)));
    uint64_t index = 0;
    auto g = p.commit([&](StoreTxn& txn) { index = leader.log.record(txn, epoch); });
    REQUIRE(g.ok());
    leader.log.recorded();
    return index;
}

std::map<std::string, std::string> contents(const Store& s, std::string_view prefix) {
    std::map<std::string, std::string> out;
    auto snap = s.snapshot();
    snap.scan(prefix, "", [&](std::string_view k, std::string_view v) {
        out.emplace(k, v);
        return true;
    });
    return out;
}

}  // namespace

TEST_CASE("replication log: a standby applying the leader's entries holds the same store") {
    Node leader, standby;
    ManualClock clock;
    CommandProcessor p(*leader.store, clock, "command-1", false);
    CHECK(group(leader, p, 7, "a", 3) == 1);
    CHECK(group(leader, p, 7, "b", 2) == 2);
    p.handle({}, productCreate("a0", "a-0"));  // a resend: remembered, no new event, still an entry
    CHECK(group(leader, p, 7, "c", 0) == 3);
    CHECK(leader.log.last() == LogPosition{7, 3});

    auto entries = leader.log.read(1, 1 << 20);
    REQUIRE(entries.size() == 3);
    REQUIRE(standby.log.append(entries, false).ok());
    CHECK(standby.log.last() == LogPosition{7, 3});
    CHECK(standby.store->seq() == leader.store->seq());
    CHECK(standby.store->digest() == leader.store->digest());
    CHECK(contents(*standby.store, "s/") == contents(*leader.store, "s/"));
    CHECK(contents(*standby.store, "d/") == contents(*leader.store, "d/"));  // remembered outcomes too
    CHECK(readEvents(*standby.store, 1, 10) == readEvents(*leader.store, 1, 10));
    CHECK(standby.log.seqAt(1) == 3);
    CHECK(standby.log.epochAt(2) == 7u);
    // The digest after each entry (a standby's proof of holding it) is the same on both.
    CHECK(standby.log.digestAt(3) == leader.store->digest());
    for (uint64_t i = 1; i <= 3; ++i) CHECK(standby.log.digestAt(i) == leader.log.digestAt(i));
    CHECK(leader.log.digestAt(1) != leader.log.digestAt(2));
    CHECK_FALSE(leader.log.digestAt(0).has_value());
    CHECK_FALSE(leader.log.digestAt(4).has_value());

    // A standby that took over keeps deciding where the leader stopped, from the same write model.
    CommandProcessor q(*standby.store, clock, "command-2", false);
    q.handle({}, productCreate("b0", "b-0"));      // remembered from the old leader: a duplicate
    q.handle({}, productCreate("z", "a-1"));       // the old leader's product code: refused
    auto g = q.commit();
    REQUIRE(g.ok());
    CHECK(decodeEnvelopeHeader(g->replies[0].bytes)->body.value("duplicate", false));
    CHECK(decodeEnvelopeHeader(g->replies[1].bytes)->kind == Kind::Error);
}

TEST_CASE("replication log: a deposed leader takes back the entries only it wrote, then follows") {
    Node a, b;
    ManualClock clock;
    CommandProcessor pa(*a.store, clock, "command-1", false);
    group(a, pa, 3, "x", 2);
    REQUIRE(b.log.append(a.log.read(1, 1 << 20), false).ok());
    const auto digestAtCommit = a.store->digest();
    const auto seqAtCommit = a.store->seq();
    a.log.setCommit(1);
    // Written by `a` alone (never acknowledged), then `a` is deposed.
    group(a, pa, 3, "only-a", 3);
    group(a, pa, 3, "only-a2", 1);
    CHECK(a.log.last() == LogPosition{3, 3});

    // `b` leads at epoch 9 and writes other things at the same indices.
    CommandProcessor pb(*b.store, clock, "command-2", false);
    group(b, pb, 9, "y", 1);
    group(b, pb, 9, "y2", 2);

    // Where do the logs part? b's last index of a's last epoch (3) is 1.
    CHECK(b.log.endOf(3) == 1);
    CHECK(b.log.endOf(9) == 3);
    CHECK(b.log.startOf(9) == 2);
    CHECK(b.log.epochAt(a.log.last().index) != a.log.last().epoch);
    REQUIRE(a.log.truncate(b.log.endOf(a.log.last().epoch)).ok());
    CHECK(a.log.last() == LogPosition{3, 1});
    CHECK(a.store->digest() == digestAtCommit);
    CHECK(a.store->seq() == seqAtCommit);
    CHECK(a.store->recomputeDigest() == digestAtCommit);
    CHECK_FALSE(a.store->get("d/only-a0"));  // its remembered outcomes went too
    CHECK(a.log.epochAt(1) == 3u);

    REQUIRE(a.log.append(b.log.read(2, 1 << 20), false).ok());
    CHECK(a.store->digest() == b.store->digest());
    CHECK(contents(*a.store, "s/") == contents(*b.store, "s/"));
    CHECK(contents(*a.store, "d/") == contents(*b.store, "d/"));
    CHECK(a.log.last() == LogPosition{9, 3});
    CHECK(a.log.endOf(3) == 1);

    // Committed entries are never taken back.
    a.log.setCommit(3);
    CHECK_FALSE(a.log.truncate(1).ok());
}

TEST_CASE("replication log: entries that do not follow, do not decode or leave another digest change nothing") {
    Node leader, standby;
    ManualClock clock;
    CommandProcessor p(*leader.store, clock, "command-1", false);
    group(leader, p, 2, "a", 2);
    group(leader, p, 2, "b", 2);
    auto entries = leader.log.read(1, 1 << 20);
    REQUIRE(entries.size() == 2);

    CHECK_FALSE(standby.log.append({entries[1]}, false).ok());  // a gap
    auto forged = entries[0];
    forged.digest ^= 1;
    auto bad = standby.log.append({forged}, false);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == "diverged");
    auto garbled = entries[0];
    garbled.writes = "not a write batch";
    CHECK_FALSE(standby.log.append({garbled}, false).ok());
    CHECK(standby.store->seq() == 0);
    CHECK(standby.log.last() == LogPosition{});
    CHECK(contents(*standby.store, "").empty());

    REQUIRE(standby.log.append(entries, false).ok());
    CHECK(standby.store->digest() == leader.store->digest());
    CHECK(standby.log.read(2, 1).size() == 1);  // a byte budget still yields one entry
    CHECK(standby.log.read(5, 1 << 20).empty());
}

TEST_CASE("replication log: logs that part over several epochs find where in one exchange per epoch") {
    // A leads epoch 1 and writes entries 1..7; B holds 1..5 of them. A dies; B leads epoch 2 and
    // writes 6..7 alone, then dies; A comes back and leads epoch 3 (its marker is entry 8).
    Node a, b;
    ManualClock clock;
    CommandProcessor pa(*a.store, clock, "command-1", false);
    for (int i = 0; i < 5; ++i) group(a, pa, 1, "a" + std::to_string(i), 1);
    REQUIRE(b.log.append(a.log.read(1, 1 << 20), false).ok());
    group(a, pa, 1, "a5", 1);
    group(a, pa, 1, "a6", 1);
    CommandProcessor pb(*b.store, clock, "command-2", false);
    group(b, pb, 2, "b6", 1);
    group(b, pb, 2, "b7", 1);
    CommandProcessor pa3(*a.store, clock, "command-1", false);
    group(a, pa3, 3, "marker", 0);
    REQUIRE(a.log.last() == LogPosition{3, 8});
    REQUIRE(b.log.last() == LogPosition{2, 7});

    // B asks from 8 with its last entry 7 of epoch 2, which A never had: A's latest epoch up to 2
    // is 1, whose history ends at 7 here; B holds epoch 1 only up to 5, so it cuts at 5, not 7
    // (cutting at 7 would change nothing and ask again for ever).
    CHECK(a.log.epochAt(7) == 1u);
    const auto parting = a.log.partingFor(b.log.last());
    CHECK(parting.epoch == 1);
    CHECK(parting.end == 7);
    const uint64_t cut = b.log.cutFor(parting);
    CHECK(cut == 5);
    REQUIRE(b.log.truncate(cut).ok());
    CHECK(b.log.last() == LogPosition{1, 5});
    CHECK(a.log.epochAt(5) == b.log.last().epoch);  // the next fetch is consistent
    REQUIRE(b.log.append(a.log.read(6, 1 << 20), false).ok());
    CHECK(b.store->digest() == a.store->digest());
    CHECK(contents(*b.store, "d/") == contents(*a.store, "d/"));
    CHECK(b.log.last() == LogPosition{3, 8});
}
