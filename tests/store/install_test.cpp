// Installing another node's state: what is installed is exactly what was sent, a digest that does
// not match is refused, and an install cut short is known after a restart.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "store/install.hpp"
#include "temp_dir.hpp"

using namespace jupiter;
using jupiter::testing::TempDir;

namespace {

// A store at sequence `seq` holding `n` state records and one record that is not state.
std::unique_ptr<Store> storeWith(const std::filesystem::path& dir, int n, uint64_t seq) {
    auto store = Store::open(dir, {});
    REQUIRE(store.ok());
    auto txn = (*store)->begin();
    for (int i = 0; i < n; ++i) txn->put("s/k/" + keyNum(static_cast<uint64_t>(i)), "v" + std::to_string(i));
    txn->put("m/other", "kept");
    txn->setSeq(seq);
    REQUIRE((*store)->commit(*txn, true).ok());
    return std::move(*store);
}

std::vector<std::pair<std::string, std::string>> stateOf(Store& store) {
    std::vector<std::pair<std::string, std::string>> out;
    store.snapshot().scan(kStatePrefix, "", [&](std::string_view k, std::string_view v) {
        out.emplace_back(k, v);
        return true;
    });
    return out;
}

}  // namespace

TEST_CASE("install: a store takes another's state in chunks and ends at its sequence and digest") {
    TempDir dir("install");
    auto source = storeWith(dir.path / "source", 500, 1234);
    auto target = storeWith(dir.path / "target", 40, 7);  // old state that must go entirely
    const auto records = stateOf(*source);

    auto install = StateInstall::begin(*target);
    REQUIRE(install.ok());
    CHECK(target->seq() == 0);
    CHECK(stateOf(*target).empty());
    CHECK(StateInstall::interrupted(*target));
    for (std::size_t i = 0; i < records.size(); i += 64) {
        std::vector<StateInstall::Record> chunk;
        for (std::size_t j = i; j < std::min(records.size(), i + 64); ++j) chunk.emplace_back(records[j].first, records[j].second);
        REQUIRE(install->add(chunk).ok());
    }
    CHECK(install->records() == 500);
    REQUIRE(install->finish(source->seq(), source->digest()).ok());
    CHECK_FALSE(StateInstall::interrupted(*target));
    CHECK(target->seq() == 1234);
    CHECK(target->digest() == source->digest());
    CHECK(target->recomputeDigest() == source->digest());
    CHECK(stateOf(*target) == records);
    CHECK(target->get("m/other") == "kept");  // only state is replaced
}

TEST_CASE("install: records out of order or outside the state, and a wrong digest, are refused") {
    TempDir dir("install");
    auto target = storeWith(dir.path / "target", 3, 9);
    auto install = StateInstall::begin(*target);
    REQUIRE(install.ok());
    std::vector<StateInstall::Record> good{{"s/a", "1"}, {"s/b", "2"}};
    REQUIRE(install->add(good).ok());
    std::vector<StateInstall::Record> backwards{{"s/a", "again"}};
    auto r = install->add(backwards);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("does not come after 's/b'") != std::string::npos);
    std::vector<StateInstall::Record> notState{{"x/c", "3"}};
    CHECK_FALSE(install->add(notState).ok());
    auto wrong = install->finish(100, 12345);
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.error().code == "digest_mismatch");
    CHECK(target->seq() == 0);  // still installing: nothing is served from it
    CHECK(StateInstall::interrupted(*target));
}

TEST_CASE("install: one cut short is known after a restart, and starting again removes what it left") {
    TempDir dir("install");
    {
        auto target = storeWith(dir.path / "target", 10, 50);
        auto install = StateInstall::begin(*target);
        REQUIRE(install.ok());
        std::vector<StateInstall::Record> part{{"s/half", "installed"}};
        REQUIRE(install->add(part).ok());
    }  // killed here: the marker stays
    auto reopened = Store::open(dir.path / "target", {});
    REQUIRE(reopened.ok());
    CHECK(StateInstall::interrupted(**reopened));
    CHECK((*reopened)->seq() == 0);
    auto again = StateInstall::begin(**reopened);
    REQUIRE(again.ok());
    CHECK(stateOf(**reopened).empty());
    REQUIRE(again->finish(3, 0).ok());  // an empty state at sequence 3
    CHECK((*reopened)->seq() == 3);
    CHECK_FALSE(StateInstall::interrupted(**reopened));
}
