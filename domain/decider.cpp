// Command -> events for sellers, products and stock; sales live in sale_rules.cpp. See decider.hpp.
#include "domain/decider.hpp"

#include <fmt/format.h>

#include "domain/fields.hpp"
#include "domain/keys.hpp"
#include "domain/money.hpp"
#include "domain/records.hpp"
#include "domain/sale_rules.hpp"

namespace jupiter {
namespace {

// Every seller field of `body` that is present, checked, copied into `s`.
Status takeSellerFields(const Doc& body, Seller& s, bool required) {
    for (auto [field, target] : {std::pair{"first_name", &s.firstName}, std::pair{"last_name", &s.lastName},
                                 std::pair{"doc_number", &s.docNumber}, std::pair{"phone", &s.phone}}) {
        if (auto st = takeText(body, field, *target, required); !st) return st;
    }
    return takeDocType(body, "doc_type", s.docType, required);
}

// A document (type, number) is one person's: it may belong to `self` only.
Status checkDocFree(ReadView& state, const Seller& s) {
    auto owner = loadIndex(state, keys::sellerDoc(s.docType, s.docNumber));
    if (owner && *owner != s.id)
        return rejected(fmt::format("seller {} already has doc_type {} doc_number '{}'; a document identifies one "
                                    "seller: check the number or update seller {}",
                                    *owner, s.docType, s.docNumber, *owner),
                        "doc_number");
    return Ok{};
}

Result<Decision> sellerCreate(const Doc& body, ReadView& state) {
    Seller s;
    if (auto st = takeSellerFields(body, s, true); !st) return st.error();
    s.id = loadNextId(state, "seller");
    if (auto st = checkDocFree(state, s); !st) return st.error();
    return oneEvent("seller.created", sellerDoc(s), Doc{{"id", s.id}});
}

Result<Decision> sellerUpdate(const Doc& body, ReadView& state) {
    uint64_t id = 0;
    takeId(body, "id", id);
    Seller s;
    if (auto st = takeSellerFields(body, s, false); !st) return st.error();
    auto current = loadSeller(state, id);
    if (!current) return notFound("seller", id, "id");
    if (body.size() <= 1)
        return rejected(fmt::format("nothing to change for seller {}: give at least one of first_name, last_name, "
                                    "doc_type, doc_number, phone",
                                    id));
    s = *current;
    if (auto st = takeSellerFields(body, s, false); !st) return st.error();
    if (auto st = checkDocFree(state, s); !st) return st.error();
    return oneEvent("seller.updated", sellerDoc(s));
}

// Deleting a seller deletes its sales first, so the log itself says which units went back to stock.
Result<Decision> sellerDelete(const Doc& body, ReadView& state) {
    uint64_t id = 0;
    takeId(body, "id", id);
    if (!loadSeller(state, id)) return notFound("seller", id, "id");
    Decision d;
    d.reply = Doc::object();
    for (uint64_t sale : indexedIds(state, keys::sellerSales(id)))
        d.events.push_back(NewEvent{"sale.deleted", Doc{{"id", sale}}});
    d.events.push_back(NewEvent{"seller.deleted", Doc{{"id", id}}});
    return d;
}

Status takeProductFields(const Doc& body, Product& p, bool required) {
    if (auto st = takeText(body, "code", p.code, required); !st) return st;
    if (auto st = takeText(body, "description", p.description, required); !st) return st;
    if (auto it = body.find("price"); it != body.end()) {
        auto cents = priceToCents("price", *it);
        if (!cents) return cents.error();
        p.priceCents = *cents;
    } else if (required) {
        return badField("price", "is required");
    }
    return Ok{};
}

Status checkCodeFree(ReadView& state, const Product& p) {
    auto owner = loadIndex(state, keys::productCode(p.code));
    if (owner && *owner != p.id)
        return rejected(fmt::format("code '{}' already belongs to product {}; choose another code", p.code, *owner),
                        "code");
    return Ok{};
}

Result<Decision> productCreate(const Doc& body, ReadView& state) {
    Product p;
    if (auto st = takeProductFields(body, p, true); !st) return st.error();
    p.id = loadNextId(state, "product");
    if (auto st = checkCodeFree(state, p); !st) return st.error();
    return oneEvent("product.created", productEventDoc(p), Doc{{"id", p.id}});
}

Result<Decision> productUpdate(const Doc& body, ReadView& state) {
    uint64_t id = 0;
    takeId(body, "id", id);
    Product p;
    if (auto st = takeProductFields(body, p, false); !st) return st.error();
    auto current = loadProduct(state, id);
    if (!current) return notFound("product", id, "id");
    if (body.size() <= 1)
        return rejected(
            fmt::format("nothing to change for product {}: give at least one of code, description, price", id));
    p = *current;
    if (auto st = takeProductFields(body, p, false); !st) return st.error();
    if (auto st = checkCodeFree(state, p); !st) return st.error();
    return oneEvent("product.updated", productEventDoc(p));
}

Result<Decision> productDelete(const Doc& body, ReadView& state) {
    uint64_t id = 0;
    takeId(body, "id", id);
    if (!loadProduct(state, id)) return notFound("product", id, "id");
    if (auto sales = indexedIds(state, keys::productSales(id)); !sales.empty())
        return rejected(fmt::format("product {} has {} sale{}; delete them first", id, sales.size(),
                                    sales.size() == 1 ? "" : "s"));
    return oneEvent("product.deleted", Doc{{"id", id}});
}

Result<Decision> stockReceive(const Doc& body, ReadView& state, int64_t nowMs) {
    StockEntry e;
    takeId(body, "product", e.product);
    if (auto st = takeQuantity(body, "quantity", e.quantity, kMaxEntryQuantity, true); !st) return st.error();
    auto p = loadProduct(state, e.product);
    if (!p) return notFound("product", e.product, "product");
    if (e.quantity > kMaxReceivedUnits - p->received)
        return rejected(fmt::format("product {} has received {} units in its life; {} more would pass the limit of "
                                    "{}; register a new product",
                                    p->id, p->received, e.quantity, kMaxReceivedUnits),
                        "quantity");
    e.entry = loadNextId(state, "entry");
    e.at = nowMs;
    return oneEvent("stock.received", entryDoc(e), Doc{{"id", e.entry}});
}

}  // namespace

Result<Decision> decide(std::string_view name, const Doc& body, ReadView& state, int64_t nowMs) {
    if (!body.is_object()) return makeError("bad_field", fmt::format("the body of '{}' must be a map", name));
    if (name == "seller.create") return sellerCreate(body, state);
    if (name == "seller.update") return sellerUpdate(body, state);
    if (name == "seller.delete") return sellerDelete(body, state);
    if (name == "product.create") return productCreate(body, state);
    if (name == "product.update") return productUpdate(body, state);
    if (name == "product.delete") return productDelete(body, state);
    if (name == "stock.receive") return stockReceive(body, state, nowMs);
    if (name == "sale.create") return saleCreate(body, state, nowMs);
    if (name == "sale.update") return saleUpdate(body, state);
    if (name == "sale.delete") return saleDelete(body, state);
    return makeError("unknown_message", fmt::format("'{}' is not a command; see schemas/README.md", name));
}

}  // namespace jupiter
