// The write model and a read model fed the same events end in byte-identical state.
#include "tests/domain/domain_fixture.hpp"

#include <random>

using namespace jupiter;
using jupiter::testing::Domain;
using jupiter::testing::TempDir;

namespace {

std::vector<std::pair<std::string, std::string>> stateOf(Store& store) {
    std::vector<std::pair<std::string, std::string>> out;
    store.snapshot().scan("s/", "", [&](std::string_view k, std::string_view v) {
        out.emplace_back(k, v);
        return true;
    });
    return out;
}

}  // namespace

TEST_CASE("domain: two stores fed the same events end with the same digest") {
    Domain writer;
    std::mt19937 rng(42);
    auto pick = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(1, n)(rng); };
    // A random mix of every command; failures are part of the mix and leave no events.
    for (int i = 0; i < 400; ++i) {
        writer.now += 1000;
        switch (pick(10)) {
            case 1: (void)writer.run("seller.create", Doc{{"first_name", "F"}, {"last_name", "L"}, {"doc_type", "CEDULA"},
                                                            {"doc_number", std::to_string(pick(30))}, {"phone", "1"}});
                break;
            case 2: (void)writer.run("product.create", Doc{{"code", "C" + std::to_string(pick(15))},
                                                             {"description", "d"}, {"price", 0.01 * double(pick(999))}});
                break;
            case 3:
            case 4: (void)writer.run("stock.receive", Doc{{"product", pick(15)}, {"quantity", int64_t(pick(20))}}); break;
            case 5:
            case 6:
                (void)writer.run("sale.create", Doc{{"seller", pick(30)}, {"product", pick(15)},
                                                     {"quantity", int64_t(pick(6))}, {"client", "c"},
                                                     {"invoice", "I" + std::to_string(pick(200))}});
                break;
            case 7:
                (void)writer.run("sale.update", Doc{{"id", pick(100)}, {"product", pick(15)}, {"quantity", int64_t(pick(6))}});
                break;
            case 8: (void)writer.run("sale.delete", Doc{{"id", pick(100)}}); break;
            case 9: (void)writer.run("seller.delete", Doc{{"id", pick(30)}}); break;
            default: (void)writer.run("product.update", Doc{{"id", pick(15)}, {"price", int64_t(pick(50))}}); break;
        }
    }
    REQUIRE(writer.log().size() > 100);

    TempDir dir;
    auto reader = jupiter::testing::openStore(dir.path / "reader");
    // The reader receives the log in batches of different sizes than the writer's commands.
    for (std::size_t i = 0; i < writer.log().size(); i += 7) {
        const auto end = std::min(writer.log().size(), i + 7);
        jupiter::testing::applyAll(*reader, {writer.log().begin() + static_cast<std::ptrdiff_t>(i),
                                             writer.log().begin() + static_cast<std::ptrdiff_t>(end)});
    }
    CHECK(writer.store().digest() == reader->digest());
    CHECK(writer.store().recomputeDigest() == writer.store().digest());
    CHECK(reader->recomputeDigest() == reader->digest());
    CHECK(stateOf(writer.store()) == stateOf(*reader));
    // And the queries agree.
    auto wv = writer.store().snapshot();
    auto rv = reader->snapshot();
    for (const char* q : {"sales.list", "sellers.list", "products.list", "inventory.value"}) {
        CAPTURE(q);
        CHECK(runQuery(q, Doc::object(), wv).value() == runQuery(q, Doc::object(), rv).value());
    }
}
