// The RocksDB store: atomic transactions, read-your-writes, the incrementally kept digest, and
// clear refusals for unusable data folders.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "store/store.hpp"

using namespace jupiter;

namespace {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        path = std::filesystem::temp_directory_path() /
               ("jupiter-store-test-" + std::to_string(std::random_device{}()) + "-" + std::to_string(getpid()));
        std::filesystem::create_directories(path);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace

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
