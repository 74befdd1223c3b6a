// The layout of the domain state in the store: every key the projection writes and the queries
// read. Ids are keyNum() (fixed-width hex) so that key order is id order; free-text values (codes,
// invoices, document numbers) only ever end a key that is read with get(), never scanned.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jupiter::keys {

inline constexpr std::string_view kSellers = "s/seller/";    // + id -> seller record
inline constexpr std::string_view kProducts = "s/product/";  // + id -> product record (with stock)
inline constexpr std::string_view kSales = "s/sale/";        // + id -> sale record

std::string seller(uint64_t id);
std::string product(uint64_t id);
std::string sale(uint64_t id);

// Stock entries grouped by product: "s/entry/<product>/<entry>" -> entry record.
std::string entries(uint64_t product);
std::string entry(uint64_t product, uint64_t entry);

// Uniqueness indexes (value: the owner's id). Read with get() on the exact key only: the text
// may contain '/', so a prefix scan could confuse "a" with "a/b".
std::string sellerDoc(std::string_view docType, std::string_view docNumber);
std::string productCode(std::string_view code);
std::string saleInvoice(std::string_view invoice);

// Secondary indexes (empty value): the sales of one seller / one product, in sale id order.
std::string sellerSales(uint64_t seller);
std::string sellerSale(uint64_t seller, uint64_t sale);
std::string productSales(uint64_t product);
std::string productSale(uint64_t product, uint64_t sale);

// Id counters: "s/next/<entity>" holds the next id to assign (absent means 1).
std::string next(std::string_view entity);

// The id that ends a key built above (its last 16 characters), if it is one.
std::optional<uint64_t> trailingId(std::string_view key);

}  // namespace jupiter::keys
