// Sale commands: existence, stock availability, invoice uniqueness, and stock moving on update/delete.
#include "tests/domain/domain_fixture.hpp"

#include "domain/keys.hpp"

using namespace jupiter;
using jupiter::testing::Domain;
using jupiter::testing::mentions;

namespace {

// Two sellers, two products with stock 10 and 5.
struct Shop {
    Domain d;
    uint64_t ana = d.seller("1");
    uint64_t bob = d.seller("2");
    uint64_t rice = d.product("RICE", 2.5);
    uint64_t beans = d.product("BEANS", 4);
    Shop() {
        d.receive(rice, 10);
        d.receive(beans, 5);
    }
    Doc saleBody(uint64_t seller, uint64_t product, int64_t quantity, const std::string& invoice) {
        return Doc{{"seller", seller}, {"product", product}, {"quantity", quantity}, {"client", "Carla"},
                   {"invoice", invoice}};
    }
};

}  // namespace

TEST_CASE("domain: sale.create lowers the stock - dates the sale and indexes it") {
    Shop s;
    s.d.now = 99'000;
    auto reply = s.d.ok("sale.create", s.saleBody(s.ana, s.rice, 4, "F-1"));
    CHECK(reply == Doc{{"id", 1}});
    REQUIRE(s.d.lastEvents().size() == 1);
    CHECK(s.d.lastEvents()[0].name == "sale.created");
    CHECK(s.d.lastEvents()[0].body == Doc{{"id", 1}, {"seller", s.ana}, {"product", s.rice}, {"quantity", 4},
                                          {"client", "Carla"}, {"invoice", "F-1"}, {"at", 99'000}});
    CHECK(s.d.stockOf(s.rice) == 6);
    CHECK(s.d.record(keys::sale(1)) == s.d.lastEvents()[0].body);
    CHECK(s.d.record(keys::saleInvoice("F-1")) == 1);
    CHECK(s.d.has(keys::sellerSale(s.ana, 1)));
    CHECK(s.d.has(keys::productSale(s.rice, 1)));
    CHECK(s.d.record(keys::next("sale")) == 2);
    // The whole stock may be sold.
    s.d.ok("sale.create", s.saleBody(s.bob, s.rice, 6, "F-2"));
    CHECK(s.d.stockOf(s.rice) == 0);
}

TEST_CASE("domain: sale.create refusals") {
    Shop s;
    SUBCASE("missing seller") {
        auto e = s.d.fail("sale.create", s.saleBody(9, s.rice, 1, "F"));
        CHECK(e.code == "not_found");
        CHECK(e.message == "seller 9 does not exist");
    }
    SUBCASE("missing product") {
        auto e = s.d.fail("sale.create", s.saleBody(s.ana, 9, 1, "F"));
        CHECK(e.code == "not_found");
        CHECK(e.message == "product 9 does not exist");
    }
    SUBCASE("quantity 0") {
        auto e = s.d.fail("sale.create", s.saleBody(s.ana, s.rice, 0, "F"));
        CHECK(e.code == "bad_field");
        CHECK(mentions(e.message, "quantity"));
    }
    SUBCASE("negative quantity") {
        auto e = s.d.fail("sale.create", s.saleBody(s.ana, s.rice, -2, "F"));
        CHECK(e.code == "bad_field");
        CHECK(mentions(e.message, "quantity"));
    }
    SUBCASE("huge quantity") {
        auto e = s.d.fail("sale.create", s.saleBody(s.ana, s.rice, INT64_MAX, "F"));
        CHECK(e.code == "bad_field");
        CHECK(mentions(e.message, "quantity"));
    }
    SUBCASE("more than the stock") {
        auto e = s.d.fail("sale.create", s.saleBody(s.ana, s.beans, 6, "F"));
        CHECK(e.code == "rejected");
        CHECK(e.message == "quantity 6 exceeds the stock of product 2 (5 units); receive stock first");
    }
    SUBCASE("blank client") {
        auto body = s.saleBody(s.ana, s.rice, 1, "F");
        body["client"] = "";
        auto e = s.d.fail("sale.create", body);
        CHECK(e.code == "bad_field");
        CHECK(mentions(e.message, "client"));
    }
    SUBCASE("blank invoice") {
        auto e = s.d.fail("sale.create", s.saleBody(s.ana, s.rice, 1, " "));
        CHECK(e.code == "bad_field");
        CHECK(mentions(e.message, "invoice"));
    }
    SUBCASE("invoice already used") {
        s.d.sale(s.ana, s.rice, 1, "F");
        auto e = s.d.fail("sale.create", s.saleBody(s.bob, s.beans, 1, "F"));
        CHECK(e.code == "rejected");
        CHECK(mentions(e.message, "invoice 'F'"));
        CHECK(mentions(e.message, "sale 1"));
    }
    CHECK(s.d.stockOf(s.beans) == 5);
}

TEST_CASE("domain: sale.update on the same product checks against the stock plus the sale's own units") {
    Shop s;
    const auto id = s.d.sale(s.ana, s.beans, 3, "F-1");  // beans stock 2
    const int64_t at = s.d.record(keys::sale(id))["at"].get<int64_t>();
    s.d.now += 5'000;
    s.d.ok("sale.update", Doc{{"id", id}, {"quantity", 5}});  // 3 back, 5 out
    CHECK(s.d.stockOf(s.beans) == 0);
    CHECK(s.d.lastEvents()[0].name == "sale.updated");
    CHECK(s.d.lastEvents()[0].body["at"] == at);  // the original date stays
    s.d.ok("sale.update", Doc{{"id", id}, {"quantity", 1}});
    CHECK(s.d.stockOf(s.beans) == 4);
    auto e = s.d.fail("sale.update", Doc{{"id", id}, {"quantity", 6}});
    CHECK(e.code == "rejected");
    CHECK(mentions(e.message, "quantity 6 exceeds the stock of product 2 (5 units"));
}

TEST_CASE("domain: sale.update moving to another product gives the old units back and takes the new") {
    Shop s;
    const auto id = s.d.sale(s.ana, s.rice, 4, "F-1");  // rice 6, beans 5
    s.d.ok("sale.update", Doc{{"id", id}, {"product", s.beans}, {"quantity", 5}, {"seller", s.bob},
                              {"client", "Dora"}, {"invoice", "F-9"}});
    CHECK(s.d.stockOf(s.rice) == 10);
    CHECK(s.d.stockOf(s.beans) == 0);
    auto rec = s.d.record(keys::sale(id));
    CHECK(rec["product"] == s.beans);
    CHECK(rec["seller"] == s.bob);
    CHECK(rec["client"] == "Dora");
    CHECK(rec["invoice"] == "F-9");
    CHECK_FALSE(s.d.has(keys::productSale(s.rice, id)));
    CHECK(s.d.has(keys::productSale(s.beans, id)));
    CHECK_FALSE(s.d.has(keys::sellerSale(s.ana, id)));
    CHECK(s.d.has(keys::sellerSale(s.bob, id)));
    CHECK_FALSE(s.d.has(keys::saleInvoice("F-1")));
    CHECK(s.d.record(keys::saleInvoice("F-9")) == id);
    // Moving back needs the rice stock, which has all 10 again; beans gets its 5 back.
    s.d.ok("sale.update", Doc{{"id", id}, {"product", s.rice}, {"quantity", 10}});
    CHECK(s.d.stockOf(s.rice) == 0);
    CHECK(s.d.stockOf(s.beans) == 5);
}

TEST_CASE("domain: sale.update refusals") {
    Shop s;
    const auto id = s.d.sale(s.ana, s.rice, 4, "F-1");
    s.d.sale(s.ana, s.rice, 1, "F-2");
    CHECK(s.d.fail("sale.update", Doc{{"id", 77}, {"quantity", 1}}).code == "not_found");
    auto nothing = s.d.fail("sale.update", Doc{{"id", id}});
    CHECK(nothing.code == "rejected");
    CHECK(mentions(nothing.message, "nothing to change"));
    auto seller = s.d.fail("sale.update", Doc{{"id", id}, {"seller", 50}});
    CHECK(seller.code == "not_found");
    CHECK(mentions(seller.message, "seller 50"));
    auto product = s.d.fail("sale.update", Doc{{"id", id}, {"product", 60}});
    CHECK(product.code == "not_found");
    CHECK(mentions(product.message, "product 60"));
    auto stock = s.d.fail("sale.update", Doc{{"id", id}, {"product", s.beans}, {"quantity", 6}});
    CHECK(stock.code == "rejected");
    CHECK(mentions(stock.message, "product 2 (5 units)"));
    auto invoice = s.d.fail("sale.update", Doc{{"id", id}, {"invoice", "F-2"}});
    CHECK(invoice.code == "rejected");
    CHECK(mentions(invoice.message, "F-2"));
    auto quantity = s.d.fail("sale.update", Doc{{"id", id}, {"quantity", 0}});
    CHECK(quantity.code == "bad_field");
    CHECK(mentions(quantity.message, "quantity"));
    auto client = s.d.fail("sale.update", Doc{{"id", id}, {"client", ""}});
    CHECK(client.code == "bad_field");
    CHECK(mentions(client.message, "client"));
    // Keeping one's own invoice is fine.
    s.d.ok("sale.update", Doc{{"id", id}, {"invoice", "F-1"}});
    CHECK(s.d.stockOf(s.rice) == 5);
}

TEST_CASE("domain: sale.delete gives the units back and drops the indexes") {
    Shop s;
    const auto id = s.d.sale(s.ana, s.rice, 4, "F-1");
    s.d.ok("sale.delete", Doc{{"id", id}});
    CHECK(s.d.lastEvents()[0].name == "sale.deleted");
    CHECK(s.d.lastEvents()[0].body == Doc{{"id", id}});
    CHECK(s.d.stockOf(s.rice) == 10);
    CHECK_FALSE(s.d.has(keys::sale(id)));
    CHECK_FALSE(s.d.has(keys::saleInvoice("F-1")));
    CHECK_FALSE(s.d.has(keys::sellerSale(s.ana, id)));
    CHECK_FALSE(s.d.has(keys::productSale(s.rice, id)));
    auto e = s.d.fail("sale.delete", Doc{{"id", id}});
    CHECK(e.code == "not_found");
    CHECK(e.message == "sale 1 does not exist");
}

TEST_CASE("domain: decide refuses an unknown command") {
    Domain d;
    auto view = d.store().snapshot();
    auto r = decide("sale.explode", Doc::object(), view, 0);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "unknown_message");
}
