// The domain's entities as typed records, their msgpack form in the store and in events, and
// typed reads of the state. Shared by the decider, the projection and the queries so that the
// three agree on every field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/doc.hpp"
#include "store/txn.hpp"

namespace jupiter {

// Caps that keep every stock and quantity sum inside int64 (see Product::received).
inline constexpr int64_t kMaxPriceCents = 1'000'000'000'000;       // 10^10 in currency units
inline constexpr int64_t kMaxEntryQuantity = 1'000'000'000;        // per stock entry
inline constexpr int64_t kMaxReceivedUnits = 1'000'000'000'000'000;  // per product, over its life

struct Seller {
    uint64_t id = 0;
    std::string firstName, lastName, docType, docNumber, phone;
};

struct Product {
    uint64_t id = 0;
    std::string code, description;
    int64_t priceCents = 0;
    int64_t stock = 0;
    // Units ever received. Sales only move units between stock and sales, so stock and every
    // sale quantity stay <= received; capping it at kMaxReceivedUnits rules out overflow.
    int64_t received = 0;
};

struct Sale {
    uint64_t id = 0, seller = 0, product = 0;
    int64_t quantity = 0;
    std::string client, invoice;
    int64_t at = 0;
};

struct StockEntry {
    uint64_t entry = 0, product = 0;
    int64_t quantity = 0, at = 0;
};

// Event bodies and stored records. A product's event carries no stock (the projection owns it),
// its record does. The fromDoc functions throw nlohmann::json::exception on a missing or
// mistyped field.
Doc sellerDoc(const Seller& s);
Seller sellerFromDoc(const Doc& d);
Doc productEventDoc(const Product& p);
Doc productRecordDoc(const Product& p);
// packDoc(productRecordDoc(p)), without building the Doc.
std::string packProductRecord(const Product& p);
// The product a packed record holds (productFromRecord without the Doc); throws
// std::runtime_error naming the field on a record of another shape.
Product productFromPacked(std::string_view bytes);
Product productFromEvent(const Doc& d);   // stock and received left at 0
Product productFromRecord(const Doc& d);
Doc saleDoc(const Sale& s);
Sale saleFromDoc(const Doc& d);
Doc entryDoc(const StockEntry& e);
// packDoc(entryDoc(e)), without building the Doc (one is written for every stock entry).
std::string packEntryRecord(const StockEntry& e);
StockEntry entryFromDoc(const Doc& d);

// Stored bytes -> Doc. A record that does not decode is a corrupt store: this throws
// std::runtime_error naming the key.
Doc decodeRecord(std::string_view key, std::string_view bytes);

std::optional<Seller> loadSeller(ReadView& view, uint64_t id);
std::optional<Product> loadProduct(ReadView& view, uint64_t id);
std::optional<Sale> loadSale(ReadView& view, uint64_t id);
// The id a uniqueness index key points to, if the key exists.
std::optional<uint64_t> loadIndex(ReadView& view, const std::string& key);
// The next id of `entity` ("seller", "product", "sale", "entry"): 1 when none was ever created.
uint64_t loadNextId(ReadView& view, std::string_view entity);

void storeSeller(Txn& txn, const Seller& s);
void storeProduct(Txn& txn, const Product& p);
void storeSale(Txn& txn, const Sale& s);
void storeIndex(Txn& txn, const std::string& key, uint64_t id);

// Ids listed under an index prefix (e.g. keys::sellerSales(7)), ascending.
std::vector<uint64_t> indexedIds(ReadView& view, std::string_view prefix);

}  // namespace jupiter
