// Product and stock commands: prices in cents, code uniqueness, deletion rules and stock entries.
#include "tests/domain/domain_fixture.hpp"

#include <limits>

#include "domain/keys.hpp"
#include "domain/money.hpp"
#include "common/packed_map.hpp"
#include "domain/records.hpp"

using namespace jupiter;
using jupiter::testing::Domain;
using jupiter::testing::mentions;

TEST_CASE("domain: prices become cents rounded half away from zero as written") {
    CHECK(priceToCents("price", Doc(10)).value() == 1000);
    CHECK(priceToCents("price", Doc(uint64_t{7})).value() == 700);
    CHECK(priceToCents("price", Doc(1.005)).value() == 101);
    CHECK(priceToCents("price", Doc(2.675)).value() == 268);
    CHECK(priceToCents("price", Doc(0.125)).value() == 13);
    CHECK(priceToCents("price", Doc(0.124)).value() == 12);
    CHECK(priceToCents("price", Doc(0.005)).value() == 1);
    CHECK(priceToCents("price", Doc(19.99)).value() == 1999);
    CHECK(priceToCents("price", Doc(1e10)).value() == kMaxPriceCents);
    CHECK(priceToCents("price", Doc(1e-300)).error().code == "bad_field");
    CHECK(priceToCents("price", Doc(0.004)).error().code == "bad_field");
    CHECK(priceToCents("price", Doc(0)).error().code == "bad_field");
    CHECK(priceToCents("price", Doc(0.0)).error().code == "bad_field");
    CHECK(priceToCents("price", Doc(-3)).error().code == "bad_field");
    CHECK(priceToCents("price", Doc(-0.5)).error().code == "bad_field");
    CHECK(priceToCents("price", Doc(10000000000.01)).error().code == "bad_field");
    CHECK(priceToCents("price", Doc(10000000001)).error().code == "bad_field");
    CHECK(priceToCents("price", Doc(1e300)).error().code == "bad_field");
    CHECK(priceToCents("price", Doc(uint64_t{18446744073709551615u})).error().code == "bad_field");
    CHECK(mentions(priceToCents("price", Doc(0.001)).error().message, "price"));
}

TEST_CASE("domain: product.create stores the product with stock 0 and its code index") {
    Domain d;
    auto reply = d.ok("product.create", Doc{{"code", "A-1"}, {"description", "Arroz"}, {"price", 2.5}});
    CHECK(reply == Doc{{"id", 1}});
    REQUIRE(d.lastEvents().size() == 1);
    CHECK(d.lastEvents()[0].name == "product.created");
    CHECK(d.lastEvents()[0].body == Doc{{"id", 1}, {"code", "A-1"}, {"description", "Arroz"}, {"price_cents", 250}});
    auto rec = d.record(keys::product(1));
    CHECK(rec["stock"] == 0);
    CHECK(rec["price_cents"] == 250);
    CHECK(d.record(keys::productCode("A-1")) == 1);
    CHECK(d.record(keys::next("product")) == 2);
}

TEST_CASE("domain: product.create refusals") {
    Domain d;
    d.product("A", 1);
    SUBCASE("price <= 0") {
        auto e = d.fail("product.create", Doc{{"code", "B"}, {"description", "x"}, {"price", -1}});
        CHECK(e.code == "bad_field");
        CHECK(mentions(e.message, "price"));
    }
    SUBCASE("price rounding to 0 cents") {
        auto e = d.fail("product.create", Doc{{"code", "B"}, {"description", "x"}, {"price", 0.001}});
        CHECK(e.code == "bad_field");
        CHECK(mentions(e.message, "0 cents"));
    }
    SUBCASE("price above the maximum") {
        auto e = d.fail("product.create", Doc{{"code", "B"}, {"description", "x"}, {"price", 2e10}});
        CHECK(e.code == "bad_field");
        CHECK(mentions(e.message, "maximum"));
    }
    SUBCASE("blank code") {
        auto e = d.fail("product.create", Doc{{"code", ""}, {"description", "x"}, {"price", 1}});
        CHECK(e.code == "bad_field");
        CHECK(mentions(e.message, "code"));
    }
    SUBCASE("blank description") {
        auto e = d.fail("product.create", Doc{{"code", "B"}, {"description", "\t"}, {"price", 1}});
        CHECK(e.code == "bad_field");
        CHECK(mentions(e.message, "description"));
    }
    SUBCASE("taken code") {
        auto e = d.fail("product.create", Doc{{"code", "A"}, {"description", "x"}, {"price", 1}});
        CHECK(e.code == "rejected");
        CHECK(mentions(e.message, "product 1"));
    }
    SUBCASE("codes that share a prefix are distinct") {
        CHECK(d.product("A/B", 1) == 2);
        CHECK(d.product("A/", 1) == 3);
    }
}

TEST_CASE("domain: product.update keeps the stock and moves the code index") {
    Domain d;
    const auto p = d.product("OLD", 3);
    d.receive(p, 7);
    d.ok("product.update", Doc{{"id", p}, {"code", "NEW"}, {"price", 4.25}});
    REQUIRE(d.lastEvents().size() == 1);
    CHECK(d.lastEvents()[0].body == Doc{{"id", p}, {"code", "NEW"}, {"description", "item OLD"}, {"price_cents", 425}});
    auto rec = d.record(keys::product(p));
    CHECK(rec["stock"] == 7);
    CHECK(rec["price_cents"] == 425);
    CHECK_FALSE(d.has(keys::productCode("OLD")));
    CHECK(d.record(keys::productCode("NEW")) == p);
}

TEST_CASE("domain: product.update refusals") {
    Domain d;
    const auto p = d.product("A", 1);
    d.product("B", 1);
    CHECK(d.fail("product.update", Doc{{"id", 7}, {"price", 1}}).code == "not_found");
    auto nothing = d.fail("product.update", Doc{{"id", p}});
    CHECK(nothing.code == "rejected");
    CHECK(mentions(nothing.message, "nothing to change"));
    auto taken = d.fail("product.update", Doc{{"id", p}, {"code", "B"}});
    CHECK(taken.code == "rejected");
    CHECK(mentions(taken.message, "product 2"));
    auto price = d.fail("product.update", Doc{{"id", p}, {"price", 0}});
    CHECK(price.code == "bad_field");
    CHECK(mentions(price.message, "price"));
}

TEST_CASE("domain: product.delete is refused while the product has sales - then removes it and its entries") {
    Domain d;
    const auto s = d.seller("1");
    const auto p = d.product("P", 5);
    const auto entry = d.receive(p, 10);
    const auto s1 = d.sale(s, p, 1, "F1");
    const auto s2 = d.sale(s, p, 1, "F2");
    auto e = d.fail("product.delete", Doc{{"id", p}});
    CHECK(e.code == "rejected");
    CHECK(mentions(e.message, "product 1 has 2 sales; delete them first"));
    d.ok("sale.delete", Doc{{"id", s1}});
    d.ok("sale.delete", Doc{{"id", s2}});
    CHECK(d.has(keys::entry(p, entry)));
    d.ok("product.delete", Doc{{"id", p}});
    CHECK(d.lastEvents()[0].name == "product.deleted");
    CHECK_FALSE(d.has(keys::product(p)));
    CHECK_FALSE(d.has(keys::productCode("P")));
    CHECK_FALSE(d.has(keys::entry(p, entry)));
    CHECK(d.fail("product.delete", Doc{{"id", p}}).code == "not_found");
    // Ids are never reused.
    CHECK(d.product("P", 5) == 2);
}

TEST_CASE("domain: stock.receive records a dated entry and raises the stock") {
    Domain d;
    const auto p = d.product("P", 1);
    d.now = 1'234;
    CHECK(d.receive(p, 5) == 1);
    REQUIRE(d.lastEvents().size() == 1);
    CHECK(d.lastEvents()[0].name == "stock.received");
    CHECK(d.lastEvents()[0].body == Doc{{"entry", 1}, {"product", p}, {"quantity", 5}, {"at", 1'234}});
    CHECK(d.receive(p, kMaxEntryQuantity) == 2);
    CHECK(d.stockOf(p) == 5 + kMaxEntryQuantity);
    CHECK(d.record(keys::entry(p, 1)) == Doc{{"entry", 1}, {"product", p}, {"quantity", 5}, {"at", 1'234}});
    CHECK(d.record(keys::next("entry")) == 3);
}

TEST_CASE("domain: stock.receive refusals") {
    Domain d;
    const auto p = d.product("P", 1);
    auto missing = d.fail("stock.receive", Doc{{"product", 3}, {"quantity", 1}});
    CHECK(missing.code == "not_found");
    CHECK(mentions(missing.message, "product 3"));
    for (int64_t q : {int64_t{0}, int64_t{-4}, kMaxEntryQuantity + 1}) {
        CAPTURE(q);
        auto e = d.fail("stock.receive", Doc{{"product", p}, {"quantity", q}});
        CHECK(e.code == "bad_field");
        CHECK(mentions(e.message, "quantity"));
    }
    // A product's lifetime receipts are capped so stock sums cannot overflow.
    jupiter::testing::applyAll(d.store(), {NewEvent{"stock.received", Doc{{"entry", 50},
                                                                           {"product", p},
                                                                           {"quantity", kMaxReceivedUnits - 5},
                                                                           {"at", 0}}}});
    auto cap = d.fail("stock.receive", Doc{{"product", p}, {"quantity", 6}});
    CHECK(cap.code == "rejected");
    CHECK(mentions(cap.message, "product 1"));
    d.receive(p, 5);
    CHECK(d.stockOf(p) == kMaxReceivedUnits);
}

TEST_CASE("domain: a product record packed field by field is byte for byte the packed Doc") {
    // Every store's digest covers these bytes: a different encoding would make nodes disagree.
    const std::vector<uint64_t> ids{1, 127, 128, 255, 256, 65535, 65536, 4294967295ull, 4294967296ull,
                                    std::numeric_limits<uint64_t>::max() - 1};
    const std::vector<int64_t> numbers{0, 1, 31, 127, 128, 255, 256, 32767, 65536, 2147483647, 2147483648ll,
                                       std::numeric_limits<int64_t>::max(), -1, -32, -33, -129, -40000,
                                       std::numeric_limits<int64_t>::min()};
    const std::vector<std::string> texts{"", "A", std::string(31, 'x'), std::string(32, 'y'), std::string(255, 'z'),
                                         std::string(256, 'w'), std::string(70000, 'v'), "Ñandú — 商品"};
    std::size_t checked = 0;
    for (std::size_t i = 0; i < 60; ++i) {
        Product p;
        p.id = ids[i % ids.size()];
        p.code = texts[i % texts.size()];
        p.description = texts[(i / 3) % texts.size()];
        p.priceCents = numbers[i % numbers.size()];
        p.stock = numbers[(i / 2) % numbers.size()];
        p.received = numbers[(i / 5) % numbers.size()];
        const std::string packed = packProductRecord(p);
        CHECK(packed == packDoc(productRecordDoc(p)));
        const Product back = productFromPacked(packed);
        CHECK((back.id == p.id && back.code == p.code && back.description == p.description &&
               back.priceCents == p.priceCents && back.stock == p.stock && back.received == p.received));
        ++checked;
    }
    CHECK(checked == 60);
    CHECK_THROWS_AS(MapPacker(2).u64("b", 1).u64("a", 2), std::logic_error);  // out of key order
    CHECK_THROWS_AS(MapPacker(2).u64("a", 1).take(), std::logic_error);       // a field short
    // A stored record of another shape is named, not misread.
    CHECK_THROWS_WITH_AS(productFromPacked(packDoc(Doc{{"id", 1}, {"code", "A"}})),
                         doctest::Contains("description"), std::runtime_error);
    CHECK_THROWS_WITH_AS(productFromPacked(packDoc(Doc{{"id", "one"}})), doctest::Contains("id"), std::runtime_error);
    CHECK_THROWS_AS(productFromPacked(packDoc(Doc::array())), std::runtime_error);
    CHECK_THROWS_AS(productFromPacked("\x85"), std::runtime_error);  // a map header and nothing after it
}

TEST_CASE("domain: a stored record of the wrong shape is reported as corruption at its key") {
    jupiter::testing::TempDir dir;
    auto store = jupiter::testing::openStore(dir.path);
    auto txn = store->begin();
    txn->put(keys::product(7), packDoc(Doc{{"id", 7}, {"code", "A"}}));  // fields missing
    txn->put(keys::seller(8), packDoc(Doc{{"id", "eight"}}));             // a Doc-read record, wrong type
    txn->put(keys::sale(9), "\xc1");                                         // not msgpack at all
    CHECK_THROWS_WITH_AS(loadProduct(*txn, 7), doctest::Contains(("corrupt record at '" + keys::product(7) + "'").c_str()),
                         std::runtime_error);
    CHECK_THROWS_WITH_AS(loadSeller(*txn, 8), doctest::Contains(("corrupt record at '" + keys::seller(8) + "'").c_str()),
                         std::runtime_error);
    CHECK_THROWS_WITH_AS(loadSale(*txn, 9), doctest::Contains(("corrupt record at '" + keys::sale(9) + "'").c_str()),
                         std::runtime_error);
    CHECK_FALSE(loadProduct(*txn, 70));  // absent is not corrupt
    txn->put(keys::next("entry"), packDoc(Doc("ten")));   // an index read without a Doc, wrong type
    txn->put(keys::productCode("B"), "\xc1");             // not msgpack at all
    CHECK_THROWS_WITH_AS(loadNextId(*txn, "entry"),
                         doctest::Contains(("corrupt record at '" + keys::next("entry") + "'").c_str()), std::runtime_error);
    CHECK_THROWS_WITH_AS(loadIndex(*txn, keys::productCode("B")),
                         doctest::Contains(("corrupt record at '" + keys::productCode("B") + "'").c_str()),
                         std::runtime_error);
}

TEST_CASE("domain: a stock entry and an index packed without a Doc are byte for byte the packed Doc") {
    const std::vector<int64_t> numbers{0, 1, 127, 128, 255, 256, 65535, 65536, std::numeric_limits<int64_t>::max(),
                                       -1, -32, -33, -129, -40000, std::numeric_limits<int64_t>::min()};
    const std::vector<uint64_t> ids{0, 1, 127, 128, 65536, uint64_t{1} << 32, std::numeric_limits<uint64_t>::max()};
    jupiter::testing::TempDir dir;
    auto store = jupiter::testing::openStore(dir.path);
    auto txn = store->begin();
    for (std::size_t i = 0; i < 45; ++i) {
        StockEntry e;
        e.entry = ids[i % ids.size()];
        e.product = ids[(i / 2) % ids.size()];
        e.quantity = numbers[i % numbers.size()];
        e.at = numbers[(i / 3) % numbers.size()];
        CHECK(packEntryRecord(e) == packDoc(entryDoc(e)));
        const std::string key = keys::productCode(std::to_string(i));
        storeIndex(*txn, key, e.entry);
        CHECK(txn->get(key) == packDoc(Doc(e.entry)));
        CHECK(loadIndex(*txn, key) == e.entry);
    }
}
