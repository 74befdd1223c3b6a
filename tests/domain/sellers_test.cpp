// Seller commands: field rules, document uniqueness, updates and the delete cascade over sales.
#include "tests/domain/domain_fixture.hpp"

#include "domain/keys.hpp"

using namespace jupiter;
using jupiter::testing::Domain;
using jupiter::testing::mentions;

namespace {

Doc sellerBody(const std::string& docNumber) {
    return Doc{{"first_name", "Ana"},
               {"last_name", "Ruiz"},
               {"doc_type", "PASAPORTE"},
               {"doc_number", docNumber},
               {"phone", "300"}};
}

}  // namespace

TEST_CASE("domain: seller.create assigns ids from 1 and stores the record and its document index") {
    Domain d;
    auto reply = d.ok("seller.create", sellerBody("AB12"));
    CHECK(reply == Doc{{"id", 1}});
    REQUIRE(d.lastEvents().size() == 1);
    CHECK(d.lastEvents()[0].name == "seller.created");
    CHECK(d.lastEvents()[0].body == Doc{{"id", 1}, {"first_name", "Ana"}, {"last_name", "Ruiz"},
                                        {"doc_type", "PASAPORTE"}, {"doc_number", "AB12"}, {"phone", "300"}});
    CHECK(d.record(keys::seller(1)) == d.lastEvents()[0].body);
    CHECK(d.record(keys::sellerDoc("PASAPORTE", "AB12")) == 1);
    CHECK(d.record(keys::next("seller")) == 2);
    CHECK(d.seller("X9") == 2);
}

TEST_CASE("domain: seller.create rejects a doc_type outside the enum") {
    Domain d;
    auto body = sellerBody("1");
    body["doc_type"] = "LICENCIA";
    auto e = d.fail("seller.create", body);
    CHECK(e.code == "bad_field");
    CHECK(mentions(e.message, "doc_type"));
    CHECK(mentions(e.message, "CEDULA_EXTRANJERIA"));
}

TEST_CASE("domain: seller.create rejects each blank text field - naming it") {
    Domain d;
    for (const char* field : {"first_name", "last_name", "doc_number", "phone", "doc_type"}) {
        CAPTURE(field);
        auto body = sellerBody("1");
        body[field] = "  ";
        auto e = d.fail("seller.create", body);
        CHECK(e.code == "bad_field");
        CHECK(mentions(e.message, field));
    }
    CHECK_FALSE(d.has(keys::next("seller")));
}

TEST_CASE("domain: a document number is unique per doc_type only") {
    Domain d;
    const auto first = d.seller("777", "CEDULA");
    auto e = d.fail("seller.create", Doc{{"first_name", "B"}, {"last_name", "C"}, {"doc_type", "CEDULA"},
                                        {"doc_number", "777"}, {"phone", "1"}});
    CHECK(e.code == "rejected");
    CHECK(mentions(e.message, "seller " + std::to_string(first)));
    CHECK(mentions(e.message, "777"));
    CHECK(d.seller("777", "PASAPORTE") == 2);
}

TEST_CASE("domain: document numbers containing '/' do not collide with their prefixes") {
    Domain d;
    CHECK(d.seller("12") == 1);
    CHECK(d.seller("12/3") == 2);
    CHECK(d.seller("12/") == 3);
    CHECK(d.record(keys::sellerDoc("CEDULA", "12/3")) == 2);
    CHECK(d.fail("seller.create", Doc{{"first_name", "A"}, {"last_name", "B"}, {"doc_type", "CEDULA"},
                                      {"doc_number", "12/3"}, {"phone", "1"}})
              .code == "rejected");
}

TEST_CASE("domain: seller.update changes only the given fields and moves the document index") {
    Domain d;
    const auto id = d.seller("100");
    d.ok("seller.update", Doc{{"id", id}, {"doc_number", "200"}, {"phone", "555"}});
    REQUIRE(d.lastEvents().size() == 1);
    CHECK(d.lastEvents()[0].name == "seller.updated");
    auto rec = d.record(keys::seller(id));
    CHECK(rec["doc_number"] == "200");
    CHECK(rec["phone"] == "555");
    CHECK(rec["first_name"] == "Ana");
    CHECK_FALSE(d.has(keys::sellerDoc("CEDULA", "100")));
    CHECK(d.record(keys::sellerDoc("CEDULA", "200")) == id);
    // Re-stating one's own document is no conflict.
    d.ok("seller.update", Doc{{"id", id}, {"doc_type", "CEDULA"}, {"doc_number", "200"}});
    CHECK(d.record(keys::sellerDoc("CEDULA", "200")) == id);
}

TEST_CASE("domain: seller.update refusals") {
    Domain d;
    const auto a = d.seller("1");
    d.seller("2");
    SUBCASE("missing seller") {
        auto e = d.fail("seller.update", Doc{{"id", 9}, {"phone", "1"}});
        CHECK(e.code == "not_found");
        CHECK(e.message == "seller 9 does not exist");
    }
    SUBCASE("nothing to change") {
        auto e = d.fail("seller.update", Doc{{"id", a}});
        CHECK(e.code == "rejected");
        CHECK(mentions(e.message, "nothing to change"));
    }
    SUBCASE("another seller's document") {
        auto e = d.fail("seller.update", Doc{{"id", a}, {"doc_number", "2"}});
        CHECK(e.code == "rejected");
        CHECK(mentions(e.message, "seller 2"));
    }
    SUBCASE("blank field") {
        auto e = d.fail("seller.update", Doc{{"id", a}, {"last_name", ""}});
        CHECK(e.code == "bad_field");
        CHECK(mentions(e.message, "last_name"));
    }
    SUBCASE("bad doc_type") {
        auto e = d.fail("seller.update", Doc{{"id", a}, {"doc_type", "cedula"}});
        CHECK(e.code == "bad_field");
        CHECK(mentions(e.message, "doc_type"));
    }
}

TEST_CASE("domain: seller.delete deletes the seller's sales first and gives their units back") {
    Domain d;
    const auto ana = d.seller("1");
    const auto bob = d.seller("2");
    const auto p1 = d.product("P1", 10);
    const auto p2 = d.product("P2", 20);
    d.receive(p1, 10);
    d.receive(p2, 10);
    const auto s1 = d.sale(ana, p1, 3, "F-1");
    const auto s2 = d.sale(bob, p1, 2, "F-2");
    const auto s3 = d.sale(ana, p2, 4, "F-3");
    CHECK(d.stockOf(p1) == 5);
    CHECK(d.stockOf(p2) == 6);

    d.ok("seller.delete", Doc{{"id", ana}});
    const auto& ev = d.lastEvents();
    REQUIRE(ev.size() == 3);
    CHECK(ev[0].name == "sale.deleted");
    CHECK(ev[0].body == Doc{{"id", s1}});
    CHECK(ev[1].name == "sale.deleted");
    CHECK(ev[1].body == Doc{{"id", s3}});
    CHECK(ev[2].name == "seller.deleted");
    CHECK(ev[2].body == Doc{{"id", ana}});

    CHECK(d.stockOf(p1) == 8);
    CHECK(d.stockOf(p2) == 10);
    CHECK_FALSE(d.has(keys::seller(ana)));
    CHECK_FALSE(d.has(keys::sellerDoc("CEDULA", "1")));
    CHECK_FALSE(d.has(keys::sale(s1)));
    CHECK_FALSE(d.has(keys::saleInvoice("F-1")));
    CHECK_FALSE(d.has(keys::sellerSale(ana, s3)));
    CHECK_FALSE(d.has(keys::productSale(p2, s3)));
    CHECK(d.has(keys::sale(s2)));
    // The document and invoices are free again.
    CHECK(d.seller("1") == 3);
    CHECK(d.sale(bob, p2, 1, "F-3") == 4);
}

TEST_CASE("domain: seller.delete of a missing seller is not_found") {
    Domain d;
    auto e = d.fail("seller.delete", Doc{{"id", 4}});
    CHECK(e.code == "not_found");
    CHECK(mentions(e.message, "seller 4"));
}
