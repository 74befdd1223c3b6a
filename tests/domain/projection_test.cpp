// The projection on its own: counters, state after each event, and events that contradict the state.
#include "tests/domain/domain_fixture.hpp"

#include "domain/keys.hpp"

using namespace jupiter;
using jupiter::testing::Domain;
using jupiter::testing::applyAll;
using jupiter::testing::mentions;

namespace {

Doc sellerEvent(uint64_t id, const std::string& docNumber) {
    return Doc{{"id", id}, {"first_name", "A"}, {"last_name", "B"}, {"doc_type", "CEDULA"},
               {"doc_number", docNumber}, {"phone", "1"}};
}
Doc productEvent(uint64_t id, const std::string& code, int64_t cents) {
    return Doc{{"id", id}, {"code", code}, {"description", "d"}, {"price_cents", cents}};
}
Doc saleEvent(uint64_t id, uint64_t seller, uint64_t product, int64_t quantity, const std::string& invoice) {
    return Doc{{"id", id}, {"seller", seller}, {"product", product}, {"quantity", quantity},
               {"client", "C"}, {"invoice", invoice}, {"at", 5}};
}

// Applies one event expecting "diverged", and checks that nothing was written.
std::string divergence(Store& store, const std::string& name, const Doc& body) {
    auto txn = store.begin();
    auto st = applyEvent(name, body, *txn);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code == "diverged");
    CHECK(txn->empty());
    return st.error().message;
}

}  // namespace

TEST_CASE("domain: created events advance the id counter to max(next - id + 1)") {
    Domain d;
    applyAll(d.store(), {{"seller.created", sellerEvent(5, "a")}});
    CHECK(d.record(keys::next("seller")) == 6);
    applyAll(d.store(), {{"seller.created", sellerEvent(3, "b")}});
    CHECK(d.record(keys::next("seller")) == 6);
    CHECK(d.seller("c") == 6);
}

TEST_CASE("domain: the state after each event") {
    Domain d;
    applyAll(d.store(), {{"seller.created", sellerEvent(1, "10")},
                         {"product.created", productEvent(1, "P", 300)},
                         {"product.created", productEvent(2, "Q", 100)},
                         {"stock.received", Doc{{"entry", 1}, {"product", 1}, {"quantity", 8}, {"at", 7}}},
                         {"stock.received", Doc{{"entry", 2}, {"product", 2}, {"quantity", 4}, {"at", 8}}}});
    CHECK(d.record(keys::product(1)) ==
          Doc{{"id", 1}, {"code", "P"}, {"description", "d"}, {"price_cents", 300}, {"stock", 8}, {"received", 8}});
    CHECK(d.record(keys::entry(1, 1)) == Doc{{"entry", 1}, {"product", 1}, {"quantity", 8}, {"at", 7}});

    applyAll(d.store(), {{"sale.created", saleEvent(1, 1, 1, 3, "F")}});
    CHECK(d.record(keys::product(1))["stock"] == 5);
    CHECK(d.record(keys::sale(1)) == saleEvent(1, 1, 1, 3, "F"));
    CHECK(d.record(keys::saleInvoice("F")) == 1);
    CHECK(d.store().get(keys::sellerSale(1, 1)) == std::string());
    CHECK(d.store().get(keys::productSale(1, 1)) == std::string());

    applyAll(d.store(), {{"sale.updated", saleEvent(1, 1, 2, 4, "G")}});
    CHECK(d.record(keys::product(1))["stock"] == 8);
    CHECK(d.record(keys::product(2))["stock"] == 0);
    CHECK_FALSE(d.has(keys::saleInvoice("F")));
    CHECK(d.record(keys::saleInvoice("G")) == 1);
    CHECK_FALSE(d.has(keys::productSale(1, 1)));
    CHECK(d.has(keys::productSale(2, 1)));

    applyAll(d.store(), {{"seller.updated", sellerEvent(1, "11")}, {"product.updated", productEvent(2, "R", 150)}});
    CHECK(d.record(keys::seller(1))["doc_number"] == "11");
    CHECK(d.record(keys::sellerDoc("CEDULA", "11")) == 1);
    CHECK_FALSE(d.has(keys::sellerDoc("CEDULA", "10")));
    CHECK(d.record(keys::product(2)) ==
          Doc{{"id", 2}, {"code", "R"}, {"description", "d"}, {"price_cents", 150}, {"stock", 0}, {"received", 4}});
    CHECK(d.record(keys::productCode("R")) == 2);
    CHECK_FALSE(d.has(keys::productCode("Q")));

    applyAll(d.store(), {{"sale.deleted", Doc{{"id", 1}}}, {"seller.deleted", Doc{{"id", 1}}},
                         {"product.deleted", Doc{{"id", 2}}}});
    CHECK(d.record(keys::product(1))["stock"] == 8);
    CHECK_FALSE(d.has(keys::seller(1)));
    CHECK_FALSE(d.has(keys::sellerDoc("CEDULA", "11")));
    CHECK_FALSE(d.has(keys::product(2)));
    CHECK_FALSE(d.has(keys::entry(2, 2)));
    // What remains: seller/product/entry/sale counters, product 1 with its code and entry.
    std::vector<std::string> left;
    d.store().snapshot().scan("s/", "", [&](std::string_view k, std::string_view) {
        left.emplace_back(k);
        return true;
    });
    CHECK(left == std::vector<std::string>{"s/code/P", keys::entry(1, 1), "s/next/entry", "s/next/product",
                                           "s/next/sale", "s/next/seller", keys::product(1)});
}

TEST_CASE("domain: stock entries above the counter are written without a lookup - the digest stays exact") {
    Domain d;
    applyAll(d.store(), {{"product.created", productEvent(1, "P", 300)},
                         {"stock.received", Doc{{"entry", 5}, {"product", 1}, {"quantity", 2}, {"at", 7}}},
                         {"stock.received", Doc{{"entry", 6}, {"product", 1}, {"quantity", 1}, {"at", 8}}}});
    CHECK(d.record(keys::next("entry")) == 7);
    CHECK(d.store().digest() == d.store().recomputeDigest());
    // Below the counter: looked up (absent, so written; the counter stays), or refused if present.
    applyAll(d.store(), {{"stock.received", Doc{{"entry", 3}, {"product", 1}, {"quantity", 4}, {"at", 9}}}});
    CHECK(d.record(keys::next("entry")) == 7);
    CHECK(d.record(keys::entry(1, 3)) == Doc{{"entry", 3}, {"product", 1}, {"quantity", 4}, {"at", 9}});
    CHECK(d.record(keys::product(1))["stock"] == 7);
    CHECK(d.store().digest() == d.store().recomputeDigest());
    CHECK(mentions(divergence(d.store(), "stock.received",
                              Doc{{"entry", 6}, {"product", 1}, {"quantity", 1}, {"at", 0}}),
                   "stock entry 6 already exists"));
    // Several new entries in one transaction: each sees the counter the previous one moved.
    applyAll(d.store(), {{"stock.received", Doc{{"entry", 7}, {"product", 1}, {"quantity", 1}, {"at", 10}}},
                         {"stock.received", Doc{{"entry", 9}, {"product", 1}, {"quantity", 1}, {"at", 11}}},
                         {"stock.received", Doc{{"entry", 8}, {"product", 1}, {"quantity", 1}, {"at", 12}}}});
    CHECK(d.record(keys::next("entry")) == 10);
    CHECK(d.record(keys::product(1))["received"] == 10);
    CHECK(d.store().digest() == d.store().recomputeDigest());
}

TEST_CASE("domain: events that contradict the state are reported as diverged and write nothing") {
    Domain d;
    applyAll(d.store(), {{"seller.created", sellerEvent(1, "10")},
                         {"product.created", productEvent(1, "P", 300)},
                         {"stock.received", Doc{{"entry", 1}, {"product", 1}, {"quantity", 2}, {"at", 7}}},
                         {"sale.created", saleEvent(1, 1, 1, 1, "F")}});
    Store& st = d.store();
    CHECK(mentions(divergence(st, "sale.deleted", Doc{{"id", 9}}), "sale 9"));
    CHECK(mentions(divergence(st, "seller.created", sellerEvent(1, "99")), "seller 1"));
    divergence(st, "seller.created", sellerEvent(2, "10"));          // document taken
    divergence(st, "seller.created", sellerEvent(0, "55"));          // id 0 is never assigned
    divergence(st, "seller.updated", sellerEvent(4, "55"));
    divergence(st, "seller.deleted", Doc{{"id", 1}});                // still has a sale
    divergence(st, "product.created", productEvent(2, "P", 1));      // code taken
    divergence(st, "product.updated", productEvent(3, "Z", 1));
    divergence(st, "product.deleted", Doc{{"id", 1}});               // still has a sale
    divergence(st, "stock.received", Doc{{"entry", 2}, {"product", 8}, {"quantity", 1}, {"at", 0}});
    divergence(st, "stock.received", Doc{{"entry", 1}, {"product", 1}, {"quantity", 1}, {"at", 0}});
    divergence(st, "stock.received", Doc{{"entry", 2}, {"product", 1}, {"quantity", -1}, {"at", 0}});
    divergence(st, "sale.created", saleEvent(2, 1, 1, 2, "G"));      // stock is 1
    divergence(st, "sale.created", saleEvent(2, 1, 1, 1, "F"));      // invoice taken
    divergence(st, "sale.created", saleEvent(2, 7, 1, 1, "G"));      // no seller 7
    divergence(st, "sale.created", saleEvent(1, 1, 1, 1, "G"));      // sale 1 exists
    divergence(st, "sale.updated", saleEvent(1, 1, 1, 3, "F"));      // 1 back + 1 in stock < 3
    divergence(st, "sale.updated", saleEvent(5, 1, 1, 1, "F"));
    CHECK(mentions(divergence(st, "sale.created", Doc{{"id", 2}}), "malformed"));
    CHECK(mentions(divergence(st, "sale.vanished", Doc{{"id", 2}}), "sale.vanished"));
    CHECK(d.record(keys::product(1))["stock"] == 1);
}
