// The RocksDB store: atomic transactions, read-your-writes, the incrementally kept digest, and
// clear refusals for unusable data folders.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <fmt/format.h>
#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/write_batch.h>

#include "store/store.hpp"
#include "temp_dir.hpp"

using namespace jupiter;

using jupiter::testing::TempDir;

TEST_CASE("store: a transaction sees its own writes and commits atomically with its sequence") {
    TempDir dir;
    {
        auto store = Store::open(dir.path / "db", {});
        REQUIRE(store.ok());
        auto txn = (*store)->begin();
        txn->put("s/a", "1");
        txn->put("s/b", "2");
        CHECK(txn->get("s/a") == "1");
        CHECK_FALSE((*store)->get("s/a"));  // not visible before commit
        std::vector<std::string> seen;
        txn->scan("s/", "", [&](std::string_view k, std::string_view) {
            seen.emplace_back(k);
            return true;
        });
        CHECK(seen == std::vector<std::string>{"s/a", "s/b"});
        txn->setSeq(2);
        REQUIRE((*store)->commit(*txn, true).ok());
        CHECK((*store)->seq() == 2);
    }
    auto again = Store::open(dir.path / "db", {});
    REQUIRE(again.ok());
    CHECK((*again)->seq() == 2);
    CHECK((*again)->get("s/b") == "2");
    CHECK((*again)->digest() == (*again)->recomputeDigest());
}

TEST_CASE("store: the running digest equals a full recomputation after puts - overwrites and deletes") {
    TempDir dir;
    auto store = Store::open(dir.path / "db", {});
    REQUIRE(store.ok());
    std::mt19937 rng(7);
    for (int round = 0; round < 20; ++round) {
        auto txn = (*store)->begin();
        for (int i = 0; i < 50; ++i) {
            const std::string key = "s/k" + std::to_string(rng() % 40);
            if (rng() % 3 == 0) txn->del(key);
            else txn->put(key, std::to_string(rng()));
        }
        txn->put("m/other", "not state");
        txn->setSeq(static_cast<uint64_t>(round + 1));
        REQUIRE((*store)->commit(*txn, false).ok());
        CHECK((*store)->digest() == (*store)->recomputeDigest());
    }
}

TEST_CASE("store: the digest depends on content - not on write order") {
    TempDir dir;
    auto a = Store::open(dir.path / "a", {});
    auto b = Store::open(dir.path / "b", {});
    auto ta = (*a)->begin();
    ta->put("s/x", "1");
    ta->put("s/y", "2");
    auto tb = (*b)->begin();
    tb->put("s/y", "2");
    tb->put("s/x", "0");
    tb->put("s/x", "1");
    REQUIRE((*a)->commit(*ta, false).ok());
    REQUIRE((*b)->commit(*tb, false).ok());
    CHECK((*a)->digest() == (*b)->digest());
    auto tc = (*b)->begin();
    tc->put("s/y", "3");
    REQUIRE((*b)->commit(*tc, false).ok());
    CHECK((*a)->digest() != (*b)->digest());
}

TEST_CASE("store: an unusable folder is refused with the path and a remedy") {
    TempDir dir;
    SUBCASE("a second process (or handle) on the same store") {
        auto first = Store::open(dir.path / "db", {});
        REQUIRE(first.ok());
        auto second = Store::open(dir.path / "db", {});
        REQUIRE_FALSE(second.ok());
        CHECK(second.error().message.find((dir.path / "db").string()) != std::string::npos);
    }
    SUBCASE("a path that is a file") {
        std::ofstream(dir.path / "file") << "x";
        auto r = Store::open(dir.path / "file" / "db", {});
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find("cannot") != std::string::npos);
    }
    SUBCASE("a corrupt store") {
        { auto s = Store::open(dir.path / "db", {}); REQUIRE(s.ok()); }
        for (auto& f : std::filesystem::directory_iterator(dir.path / "db"))
            if (f.path().filename().string().rfind("MANIFEST", 0) == 0) std::ofstream(f.path()) << "garbage";
        auto r = Store::open(dir.path / "db", {});
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find("cannot open store") != std::string::npos);
    }
}

TEST_CASE("store: keyNum is fixed-width and order-preserving") {
    CHECK(keyNum(1) < keyNum(2));
    CHECK(keyNum(15) < keyNum(16));
    CHECK(keyNum(255).size() == 16);
    CHECK(parseKeyNum(keyNum(123456789)) == 123456789u);
    CHECK_FALSE(parseKeyNum("xyz"));
}

TEST_CASE("store: a transaction's scan merges committed records with its own puts and deletes in key order") {
    TempDir dir;
    auto store = std::move(Store::open(dir.path, {}).value());
    {
        auto txn = store->begin();
        for (const char* k : {"s/a", "s/c", "s/e", "s/g", "t/x"}) txn->put(k, std::string("old-") + k);
        REQUIRE(store->commit(*txn, false).ok());
    }
    auto txn = store->begin();
    txn->put("s/b", "new");     // only here
    txn->put("s/c", "over");    // overwrites a committed one
    txn->del("s/e");            // hides a committed one
    txn->put("s/f", "gone");
    txn->del("s/f");            // written then deleted here: absent
    txn->put("s/h", "last");
    txn->put("r/z", "outside the prefix");
    auto collect = [&](std::string_view after, std::size_t stopAt) {
        std::vector<std::string> seen;
        txn->scan("s/", after, [&](std::string_view k, std::string_view v) {
            seen.push_back(std::string(k) + "=" + std::string(v));
            return seen.size() < stopAt;
        });
        return seen;
    };
    CHECK(collect("", 100) ==
          std::vector<std::string>{"s/a=old-s/a", "s/b=new", "s/c=over", "s/g=old-s/g", "s/h=last"});
    CHECK(collect("s/b", 100) == std::vector<std::string>{"s/c=over", "s/g=old-s/g", "s/h=last"});
    CHECK(collect("s/d", 100) == std::vector<std::string>{"s/g=old-s/g", "s/h=last"});
    CHECK(collect("", 2) == std::vector<std::string>{"s/a=old-s/a", "s/b=new"});
    CHECK_FALSE(txn->get("s/e"));
    CHECK_FALSE(txn->get("s/f"));
    // A key written many times reaches the store once, with its last value.
    for (int i = 0; i < 100; ++i) txn->put("s/c", "v" + std::to_string(i));
    rocksdb::WriteBatch wb{txn->writes()};
    CHECK(wb.Count() == 6);  // s/b s/c s/e s/f s/h r/z: one write each
    REQUIRE(store->commit(*txn, false).ok());
    CHECK(store->get("s/c") == std::optional<std::string>("v99"));
    CHECK_FALSE(store->get("s/e"));
    CHECK(store->digest() == store->recomputeDigest());
}

TEST_CASE("store: lookups of absent keys in a million records are answered from cached filters, not the disk") {
    // A table file of a million keys has a bloom filter of over 1 MiB. Whole, it did not fit a shard
    // of the sharded 8 MiB block cache, and every lookup of an absent key (a new request id, a new
    // record) read it from the file again. Partitioned, the pieces a lookup needs stay cached.
    TempDir dir;
    {
        auto store = Store::open(dir.path / "db", {});
        REQUIRE(store.ok());
        rocksdb::WriteBatch batch;
        for (uint64_t i = 0; i < 1'000'000; ++i) {  // out of order: compaction merges them into one file
            batch.Put(fmt::format("s/k/{:016}", (i * 7919 % 1'000'000) * 2), "v");
            if (batch.Count() == 50'000) {
                REQUIRE((*store)->db()->Write(rocksdb::WriteOptions(), &batch).ok());
                batch.Clear();
            }
        }
        REQUIRE((*store)->db()->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr).ok());
    }
    auto store = Store::open(dir.path / "db", {});
    REQUIRE(store.ok());
    CHECK((*store)->get(fmt::format("s/k/{:016}", 4)) == "v");
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
    rocksdb::get_perf_context()->Reset();
    constexpr int kLookups = 20'000;
    int found = 0;
    for (int i = 0; i < kLookups; ++i)  // odd numbers: never written
        found += (*store)->get(fmt::format("s/k/{:016}", (static_cast<uint64_t>(i) * 97 % 1'000'000) * 2 + 1)) ? 1 : 0;
    const uint64_t reads = rocksdb::get_perf_context()->block_read_count;
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
    CHECK(found == 0);
    // Filter pieces read once each, plus the index and data blocks of the bloom filter's rare false
    // positives (about 1 %); a whole-file filter read each time would be one read per lookup.
    CHECK(reads < kLookups / 4);
    MESSAGE("block reads for " << kLookups << " lookups of absent keys: " << reads);
}
