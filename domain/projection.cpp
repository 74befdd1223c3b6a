// Event -> state changes; see projection.hpp and keys.hpp for the layout it maintains.
#include "domain/projection.hpp"

#include <limits>

#include <fmt/format.h>

#include "domain/keys.hpp"
#include "domain/records.hpp"

namespace jupiter {
namespace {

Error diverged(std::string message) { return makeError("diverged", std::move(message)); }

// Ids are assigned from 1; 0 or the largest value (whose successor does not exist) never is.
Status checkId(std::string_view entity, uint64_t id) {
    if (id == 0 || id == std::numeric_limits<uint64_t>::max())
        return diverged(fmt::format("{} id {} is outside the range ids are assigned from", entity, id));
    return Ok{};
}

// next = max(next, id + 1): a created event moves the counter on both sides the same way.
void advanceCounter(Txn& txn, std::string_view entity, uint64_t id) {
    if (loadNextId(txn, entity) <= id) storeIndex(txn, keys::next(entity), id + 1);
}

Status indexFreeFor(Txn& txn, const std::string& key, uint64_t id, std::string_view what) {
    auto owner = loadIndex(txn, key);
    if (owner && *owner != id) return diverged(fmt::format("{} is already taken by id {}", what, *owner));
    return Ok{};
}

bool hasAny(Txn& txn, std::string_view prefix) {
    bool any = false;
    txn.scan(prefix, "", [&](std::string_view, std::string_view) {
        any = true;
        return false;
    });
    return any;
}

Status sellerCreated(const Doc& body, Txn& txn) {
    const Seller s = sellerFromDoc(body);
    if (auto st = checkId("seller", s.id); !st) return st;
    if (loadSeller(txn, s.id)) return diverged(fmt::format("seller {} already exists", s.id));
    const auto docKey = keys::sellerDoc(s.docType, s.docNumber);
    if (auto st = indexFreeFor(txn, docKey, s.id, "the seller's document"); !st) return st;
    storeSeller(txn, s);
    storeIndex(txn, docKey, s.id);
    advanceCounter(txn, "seller", s.id);
    return Ok{};
}

Status sellerUpdated(const Doc& body, Txn& txn) {
    const Seller s = sellerFromDoc(body);
    auto old = loadSeller(txn, s.id);
    if (!old) return diverged(fmt::format("seller {} does not exist", s.id));
    const auto oldKey = keys::sellerDoc(old->docType, old->docNumber);
    const auto newKey = keys::sellerDoc(s.docType, s.docNumber);
    if (auto st = indexFreeFor(txn, newKey, s.id, "the seller's document"); !st) return st;
    if (oldKey != newKey) {
        txn.del(oldKey);
        storeIndex(txn, newKey, s.id);
    }
    storeSeller(txn, s);
    return Ok{};
}

Status sellerDeleted(const Doc& body, Txn& txn) {
    const auto id = body.at("id").get<uint64_t>();
    auto old = loadSeller(txn, id);
    if (!old) return diverged(fmt::format("seller {} does not exist", id));
    if (hasAny(txn, keys::sellerSales(id)))
        return diverged(fmt::format("seller {} still has sales (their sale.deleted must precede it)", id));
    txn.del(keys::sellerDoc(old->docType, old->docNumber));
    txn.del(keys::seller(id));
    return Ok{};
}

Status productCreated(const Doc& body, Txn& txn) {
    const Product p = productFromEvent(body);  // stock and received start at 0
    if (auto st = checkId("product", p.id); !st) return st;
    if (loadProduct(txn, p.id)) return diverged(fmt::format("product {} already exists", p.id));
    const auto codeKey = keys::productCode(p.code);
    if (auto st = indexFreeFor(txn, codeKey, p.id, "the product's code"); !st) return st;
    storeProduct(txn, p);
    storeIndex(txn, codeKey, p.id);
    advanceCounter(txn, "product", p.id);
    return Ok{};
}

Status productUpdated(const Doc& body, Txn& txn) {
    Product p = productFromEvent(body);
    auto old = loadProduct(txn, p.id);
    if (!old) return diverged(fmt::format("product {} does not exist", p.id));
    const auto oldKey = keys::productCode(old->code);
    const auto newKey = keys::productCode(p.code);
    if (auto st = indexFreeFor(txn, newKey, p.id, "the product's code"); !st) return st;
    if (oldKey != newKey) {
        txn.del(oldKey);
        storeIndex(txn, newKey, p.id);
    }
    p.stock = old->stock;
    p.received = old->received;
    storeProduct(txn, p);
    return Ok{};
}

// A deleted product takes its stock entries with it: they only describe its stock.
Status productDeleted(const Doc& body, Txn& txn) {
    const auto id = body.at("id").get<uint64_t>();
    auto old = loadProduct(txn, id);
    if (!old) return diverged(fmt::format("product {} does not exist", id));
    if (hasAny(txn, keys::productSales(id))) return diverged(fmt::format("product {} still has sales", id));
    std::vector<std::string> entryKeys;
    txn.scan(keys::entries(id), "", [&](std::string_view key, std::string_view) {
        entryKeys.emplace_back(key);
        return true;
    });
    for (const auto& k : entryKeys) txn.del(k);
    txn.del(keys::productCode(old->code));
    txn.del(keys::product(id));
    return Ok{};
}

Status stockReceived(const Doc& body, Txn& txn) {
    const StockEntry e = entryFromDoc(body);
    if (auto st = checkId("entry", e.entry); !st) return st;
    auto p = loadProduct(txn, e.product);
    if (!p) return diverged(fmt::format("stock entry {} is for product {}, which does not exist", e.entry, e.product));
    const auto key = keys::entry(e.product, e.entry);
    // Every stored entry's id is below the counter (advanceCounter below), so an entry at or above
    // it cannot exist yet: the usual case, a new entry, needs no lookup.
    const uint64_t next = loadNextId(txn, "entry");
    const bool fresh = e.entry >= next;
    if (!fresh && txn.get(key)) return diverged(fmt::format("stock entry {} already exists", e.entry));
    if (e.quantity <= 0 || e.quantity > kMaxReceivedUnits - p->received)
        return diverged(fmt::format("stock entry {} of {} units is outside what product {} may receive", e.entry,
                                    e.quantity, p->id));
    p->stock += e.quantity;  // stock <= received, so this cannot overflow either
    p->received += e.quantity;
    if (fresh) {
        txn.insert(key, packEntryRecord(e));
        storeIndex(txn, keys::next("entry"), e.entry + 1);
    } else {
        txn.put(key, packEntryRecord(e));
    }
    storeProduct(txn, *p);
    return Ok{};
}

// Takes `quantity` units from the product's stock (negative: gives them back).
Status moveStock(Product& p, int64_t quantity, uint64_t saleId) {
    if (quantity > p.stock || p.stock - quantity > p.received)
        return diverged(fmt::format("sale {} would leave product {} with stock {} (received {})", saleId, p.id,
                                    p.stock - quantity, p.received));
    p.stock -= quantity;
    return Ok{};
}

Status saleCreated(const Doc& body, Txn& txn) {
    const Sale s = saleFromDoc(body);
    if (auto st = checkId("sale", s.id); !st) return st;
    if (loadSale(txn, s.id)) return diverged(fmt::format("sale {} already exists", s.id));
    if (!loadSeller(txn, s.seller)) return diverged(fmt::format("sale {} names seller {}, which does not exist", s.id, s.seller));
    auto p = loadProduct(txn, s.product);
    if (!p) return diverged(fmt::format("sale {} names product {}, which does not exist", s.id, s.product));
    const auto invoiceKey = keys::saleInvoice(s.invoice);
    if (auto st = indexFreeFor(txn, invoiceKey, s.id, "the sale's invoice"); !st) return st;
    if (s.quantity <= 0) return diverged(fmt::format("sale {} has quantity {}", s.id, s.quantity));
    if (auto st = moveStock(*p, s.quantity, s.id); !st) return st;
    storeSale(txn, s);
    storeIndex(txn, invoiceKey, s.id);
    txn.put(keys::sellerSale(s.seller, s.id), "");
    txn.put(keys::productSale(s.product, s.id), "");
    storeProduct(txn, *p);
    advanceCounter(txn, "sale", s.id);
    return Ok{};
}

Status saleUpdated(const Doc& body, Txn& txn) {
    const Sale s = saleFromDoc(body);
    auto old = loadSale(txn, s.id);
    if (!old) return diverged(fmt::format("sale {} does not exist", s.id));
    if (!loadSeller(txn, s.seller)) return diverged(fmt::format("sale {} names seller {}, which does not exist", s.id, s.seller));
    auto oldProduct = loadProduct(txn, old->product);
    auto newProduct = loadProduct(txn, s.product);
    if (!oldProduct || !newProduct)
        return diverged(fmt::format("sale {} moves from product {} to {}; one does not exist", s.id, old->product, s.product));
    const auto invoiceKey = keys::saleInvoice(s.invoice);
    if (auto st = indexFreeFor(txn, invoiceKey, s.id, "the sale's invoice"); !st) return st;
    if (s.quantity <= 0) return diverged(fmt::format("sale {} has quantity {}", s.id, s.quantity));
    // Give the old units back, then take the new ones, on one record when the product stays.
    if (auto st = moveStock(*oldProduct, -old->quantity, s.id); !st) return st;
    Product& target = s.product == old->product ? *oldProduct : *newProduct;
    if (auto st = moveStock(target, s.quantity, s.id); !st) return st;

    if (old->invoice != s.invoice) {
        txn.del(keys::saleInvoice(old->invoice));
        storeIndex(txn, invoiceKey, s.id);
    }
    if (old->seller != s.seller) {
        txn.del(keys::sellerSale(old->seller, s.id));
        txn.put(keys::sellerSale(s.seller, s.id), "");
    }
    if (old->product != s.product) {
        txn.del(keys::productSale(old->product, s.id));
        txn.put(keys::productSale(s.product, s.id), "");
        storeProduct(txn, *newProduct);
    }
    storeProduct(txn, *oldProduct);
    storeSale(txn, s);
    return Ok{};
}

Status saleDeleted(const Doc& body, Txn& txn) {
    const auto id = body.at("id").get<uint64_t>();
    auto old = loadSale(txn, id);
    if (!old) return diverged(fmt::format("sale {} does not exist", id));
    auto p = loadProduct(txn, old->product);
    if (!p) return diverged(fmt::format("sale {} names product {}, which does not exist", id, old->product));
    if (auto st = moveStock(*p, -old->quantity, id); !st) return st;
    storeProduct(txn, *p);
    txn.del(keys::saleInvoice(old->invoice));
    txn.del(keys::sellerSale(old->seller, id));
    txn.del(keys::productSale(old->product, id));
    txn.del(keys::sale(id));
    return Ok{};
}

}  // namespace

Status applyEvent(std::string_view name, const Doc& body, Txn& txn) {
    try {
        if (name == "seller.created") return sellerCreated(body, txn);
        if (name == "seller.updated") return sellerUpdated(body, txn);
        if (name == "seller.deleted") return sellerDeleted(body, txn);
        if (name == "product.created") return productCreated(body, txn);
        if (name == "product.updated") return productUpdated(body, txn);
        if (name == "product.deleted") return productDeleted(body, txn);
        if (name == "stock.received") return stockReceived(body, txn);
        if (name == "sale.created") return saleCreated(body, txn);
        if (name == "sale.updated") return saleUpdated(body, txn);
        if (name == "sale.deleted") return saleDeleted(body, txn);
    } catch (const Doc::exception& e) {
        // Every body is parsed before the first write, so nothing was written.
        return diverged(fmt::format("event '{}' has a malformed body: {}", name, e.what()));
    }
    return diverged(fmt::format("'{}' is not an event this projection knows", name));
}

}  // namespace jupiter
