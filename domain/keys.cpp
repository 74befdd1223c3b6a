// Key builders for the domain state; see keys.hpp for the layout.
#include "domain/keys.hpp"

#include "store/store.hpp"

namespace jupiter::keys {
namespace {

std::string join(std::string_view prefix, std::string_view rest) {
    std::string k;
    k.reserve(prefix.size() + rest.size());
    k.append(prefix).append(rest);
    return k;
}

}  // namespace

std::string seller(uint64_t id) { return join(kSellers, keyNum(id)); }
std::string product(uint64_t id) { return join(kProducts, keyNum(id)); }
std::string sale(uint64_t id) { return join(kSales, keyNum(id)); }

std::string entries(uint64_t product) { return "s/entry/" + keyNum(product) + "/"; }
std::string entry(uint64_t product, uint64_t entry) { return entries(product) + keyNum(entry); }

std::string sellerDoc(std::string_view docType, std::string_view docNumber) {
    // doc_type is one of a fixed set of words without '/', so it cannot bleed into doc_number.
    return join("s/doc/", docType) + "/" + std::string(docNumber);
}
std::string productCode(std::string_view code) { return join("s/code/", code); }
std::string saleInvoice(std::string_view invoice) { return join("s/invoice/", invoice); }

std::string sellerSales(uint64_t seller) { return "s/seller_sales/" + keyNum(seller) + "/"; }
std::string sellerSale(uint64_t seller, uint64_t sale) { return sellerSales(seller) + keyNum(sale); }
std::string productSales(uint64_t product) { return "s/product_sales/" + keyNum(product) + "/"; }
std::string productSale(uint64_t product, uint64_t sale) { return productSales(product) + keyNum(sale); }

std::string next(std::string_view entity) { return join("s/next/", entity); }

std::optional<uint64_t> trailingId(std::string_view key) {
    if (key.size() < 16) return std::nullopt;
    return parseKeyNum(key.substr(key.size() - 16));
}

}  // namespace jupiter::keys
