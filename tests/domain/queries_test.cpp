// Queries: rows, filters, paging, aggregates at current prices, and not_found.
#include "tests/domain/domain_fixture.hpp"

using namespace jupiter;
using jupiter::testing::Domain;
using jupiter::testing::mentions;

namespace {

std::vector<uint64_t> ids(const Doc& page) {
    std::vector<uint64_t> out;
    for (const auto& row : page["items"]) out.push_back(row["id"].get<uint64_t>());
    return out;
}

// Sellers 1-2, products 1 (2.50) and 2 (4.00); sales 1..6 at times 1000, 2000, ...
struct Books {
    Domain d;
    Books() {
        d.seller("1");
        d.seller("2");
        d.product("RICE", 2.5);
        d.product("BEANS", 4);
        d.receive(1, 100);
        d.receive(2, 100);
        const std::vector<std::tuple<uint64_t, uint64_t, int64_t, const char*>> sales = {
            {1, 1, 2, "Ana"}, {2, 1, 1, "Bea"}, {1, 2, 3, "Ana"}, {2, 2, 4, "Ana"}, {1, 1, 5, "Bea"}, {1, 2, 1, "Cid"}};
        int n = 0;
        for (auto [seller, product, quantity, client] : sales) {
            d.now = 1000 * ++n;
            d.sale(seller, product, quantity, "F-" + std::to_string(n), client);
        }
    }
};

}  // namespace

TEST_CASE("domain: sales.list returns flat rows with current prices - filtered and paged") {
    Books b;
    auto all = b.d.ask("sales.list", Doc::object());
    CHECK(ids(all) == std::vector<uint64_t>{1, 2, 3, 4, 5, 6});
    CHECK_FALSE(all.contains("next_after"));
    CHECK(all["items"][2] == Doc{{"id", 3}, {"seller", 1}, {"product", 2}, {"quantity", 3}, {"client", "Ana"},
                                 {"invoice", "F-3"}, {"at", 3000}, {"unit_price_cents", 400}, {"total_cents", 1200}});

    CHECK(ids(b.d.ask("sales.list", Doc{{"seller", 1}})) == std::vector<uint64_t>{1, 3, 5, 6});
    CHECK(ids(b.d.ask("sales.list", Doc{{"product", 2}})) == std::vector<uint64_t>{3, 4, 6});
    CHECK(ids(b.d.ask("sales.list", Doc{{"seller", 1}, {"product", 2}})) == std::vector<uint64_t>{3, 6});
    CHECK(ids(b.d.ask("sales.list", Doc{{"client", "Ana"}})) == std::vector<uint64_t>{1, 3, 4});
    CHECK(ids(b.d.ask("sales.list", Doc{{"from", 2000}, {"to", 5000}})) == std::vector<uint64_t>{2, 3, 4});
    CHECK(ids(b.d.ask("sales.list", Doc{{"seller", 9}})).empty());

    auto first = b.d.ask("sales.list", Doc{{"limit", 4}});
    CHECK(ids(first) == std::vector<uint64_t>{1, 2, 3, 4});
    CHECK(first["next_after"] == 4);
    auto second = b.d.ask("sales.list", Doc{{"limit", 4}, {"after", 4}});
    CHECK(ids(second) == std::vector<uint64_t>{5, 6});
    CHECK_FALSE(second.contains("next_after"));
    // Exactly `limit` rows left: no next page announced.
    CHECK_FALSE(b.d.ask("sales.list", Doc{{"limit", 2}, {"after", 4}}).contains("next_after"));

    auto bySeller = b.d.ask("sales.list", Doc{{"seller", 1}, {"limit", 2}});
    CHECK(ids(bySeller) == std::vector<uint64_t>{1, 3});
    CHECK(bySeller["next_after"] == 3);
    CHECK(ids(b.d.ask("sales.list", Doc{{"seller", 1}, {"after", 3}})) == std::vector<uint64_t>{5, 6});
    CHECK(ids(b.d.ask("sales.list", Doc{{"product", 1}, {"client", "Bea"}, {"after", 2}})) ==
          std::vector<uint64_t>{5});
}

TEST_CASE("domain: list limits outside 1..1000 are bad_field") {
    Books b;
    for (const char* q : {"sales.list", "sellers.list", "products.list"}) {
        CAPTURE(q);
        for (uint64_t limit : {uint64_t{0}, uint64_t{1001}}) {
            auto r = b.d.query(q, Doc{{"limit", limit}});
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().code == "bad_field");
            CHECK(mentions(r.error().message, "limit"));
        }
    }
    CHECK(b.d.ask("sales.list", Doc{{"limit", 1000}})["items"].size() == 6);
}

TEST_CASE("domain: sale.get answers the row - at the product's current price") {
    Books b;
    b.d.ok("product.update", Doc{{"id", 1}, {"price", 3}});
    auto row = b.d.ask("sale.get", Doc{{"id", 5}});
    CHECK(row["unit_price_cents"] == 300);
    CHECK(row["total_cents"] == 1500);
    CHECK(row["client"] == "Bea");
    auto missing = b.d.query("sale.get", Doc{{"id", 70}});
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == "not_found");
    CHECK(missing.error().message == "sale 70 does not exist");
}

TEST_CASE("domain: sellers.list and seller.get with its sales count and total") {
    Books b;
    b.d.seller("3");
    auto page = b.d.ask("sellers.list", Doc{{"limit", 2}});
    CHECK(ids(page) == std::vector<uint64_t>{1, 2});
    CHECK(page["next_after"] == 2);
    CHECK(page["items"][0] == Doc{{"id", 1}, {"first_name", "Ana"}, {"last_name", "Ruiz"}, {"doc_type", "CEDULA"},
                                  {"doc_number", "1"}, {"phone", "3001234567"}});
    CHECK(ids(b.d.ask("sellers.list", Doc{{"after", 2}})) == std::vector<uint64_t>{3});

    auto ana = b.d.ask("seller.get", Doc{{"id", 1}});
    CHECK(ana["doc_number"] == "1");
    CHECK(ana["sales_count"] == 4);
    CHECK(ana["sales_total_cents"] == 2 * 250 + 3 * 400 + 5 * 250 + 1 * 400);
    b.d.ok("product.update", Doc{{"id", 2}, {"price", 1}});
    CHECK(b.d.ask("seller.get", Doc{{"id", 1}})["sales_total_cents"] == 2 * 250 + 3 * 100 + 5 * 250 + 1 * 100);
    auto none = b.d.ask("seller.get", Doc{{"id", 3}});
    CHECK(none["sales_count"] == 0);
    CHECK(none["sales_total_cents"] == 0);
    auto missing = b.d.query("seller.get", Doc{{"id", 8}});
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == "not_found");
    CHECK(mentions(missing.error().message, "seller 8"));
}

TEST_CASE("domain: products.list - product.get with entries - and inventory.value") {
    Books b;  // rice 100 - 8 = 92, beans 100 - 8 = 92
    b.d.now = 77;
    b.d.receive(2, 8);
    auto list = b.d.ask("products.list", Doc::object());
    CHECK(list["items"] ==
          Doc::array({Doc{{"id", 1}, {"code", "RICE"}, {"description", "item RICE"}, {"price_cents", 250},
                          {"stock", 92}, {"value_cents", 23000}},
                      Doc{{"id", 2}, {"code", "BEANS"}, {"description", "item BEANS"}, {"price_cents", 400},
                          {"stock", 100}, {"value_cents", 40000}}}));
    CHECK(ids(b.d.ask("products.list", Doc{{"after", 1}})) == std::vector<uint64_t>{2});
    CHECK(b.d.ask("products.list", Doc{{"limit", 1}})["next_after"] == 1);

    auto beans = b.d.ask("product.get", Doc{{"id", 2}});
    CHECK(beans["stock"] == 100);
    CHECK(beans["value_cents"] == 40000);
    CHECK(beans["entries"] == Doc::array({Doc{{"entry", 2}, {"quantity", 100}, {"at", 1'700'000'000'000}},
                                          Doc{{"entry", 3}, {"quantity", 8}, {"at", 77}}}));
    CHECK_FALSE(beans.contains("next_after"));
    // Entries come a page at a time (a product received thousands of times is answered in bounded work).
    auto first = b.d.ask("product.get", Doc{{"id", 2}, {"limit", 1}});
    CHECK(first["entries"] == Doc::array({Doc{{"entry", 2}, {"quantity", 100}, {"at", 1'700'000'000'000}}}));
    CHECK(first["next_after"] == 2);
    CHECK(first["stock"] == 100);
    auto rest = b.d.ask("product.get", Doc{{"id", 2}, {"limit", 1}, {"after", 2}});
    CHECK(rest["entries"] == Doc::array({Doc{{"entry", 3}, {"quantity", 8}, {"at", 77}}}));
    CHECK_FALSE(rest.contains("next_after"));
    auto tooMany = b.d.query("product.get", Doc{{"id", 2}, {"limit", 1001}});
    REQUIRE_FALSE(tooMany.ok());
    CHECK(tooMany.error().code == "bad_field");
    auto missing = b.d.query("product.get", Doc{{"id", 5}});
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == "not_found");

    CHECK(b.d.ask("inventory.value", Doc::object()) == Doc{{"total_cents", 63000}, {"products", 2}, {"units", 192}});
}

TEST_CASE("domain: amounts beyond int64 do not wrap") {
    Domain d;
    // Two products at the maximum price with 5 x 10^6 units each: 10^19 cents > INT64_MAX in total.
    for (const char* code : {"A", "B"}) {
        const auto p = d.product(code, 1e10);
        for (int i = 0; i < 5; ++i) d.receive(p, 1'000'000);
    }
    CHECK(d.ask("product.get", Doc{{"id", 1}})["value_cents"] == int64_t{5'000'000'000'000'000'000});
    auto inv = d.ask("inventory.value", Doc::object());
    CHECK(inv["total_cents"].is_number_float());
    CHECK(inv["total_cents"].get<double>() == doctest::Approx(1e19));
    CHECK(inv["units"] == 10'000'000);
}

TEST_CASE("domain: runQuery refuses an unknown query") {
    Domain d;
    auto view = d.store().snapshot();
    auto r = runQuery("sales.count", Doc::object(), view);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "unknown_message");
}
