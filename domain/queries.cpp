// Query answers; see queries.hpp. Amounts use current prices and 128-bit sums (money.hpp).
#include "domain/queries.hpp"

#include <map>
#include <optional>

#include <fmt/format.h>

#include "domain/fields.hpp"
#include "domain/keys.hpp"
#include "domain/money.hpp"
#include "domain/records.hpp"
#include "store/store.hpp"

namespace jupiter {
namespace {

constexpr uint64_t kDefaultLimit = 100;
constexpr uint64_t kMaxLimit = 1000;

struct Paging {
    uint64_t limit = kDefaultLimit;
    uint64_t after = 0;
};

Result<Paging> takePaging(const Doc& body) {
    Paging p;
    takeId(body, "limit", p.limit);
    takeId(body, "after", p.after);
    if (p.limit == 0 || p.limit > kMaxLimit)
        return badField("limit", fmt::format("is {}; it must be between 1 and {}", p.limit, kMaxLimit));
    return p;
}

// Collects up to limit rows, then tells whether one more exists (so next_after is exact).
class Page {
public:
    explicit Page(uint64_t limit) : limit_(limit) {}
    // Returns false once the page is full and one more row was seen: stop scanning.
    bool add(uint64_t id, Doc row) {
        if (items_.size() >= limit_) {
            more_ = true;
            return false;
        }
        lastId_ = id;
        items_.push_back(std::move(row));
        return true;
    }
    // `out` with {field: the rows, next_after: the last row's id when more follow}.
    Doc finish(const char* field = "items", Doc out = Doc::object()) && {
        out[field] = std::move(items_);
        if (more_) out["next_after"] = lastId_;
        return out;
    }

private:
    uint64_t limit_;
    uint64_t lastId_ = 0;
    bool more_ = false;
    Doc items_ = Doc::array();
};

// Current unit prices, looked up once per product while one answer is built.
class PriceCache {
public:
    explicit PriceCache(ReadView& view) : view_(view) {}
    int64_t priceOf(uint64_t product) {
        auto it = prices_.find(product);
        if (it != prices_.end()) return it->second;
        auto p = loadProduct(view_, product);
        const int64_t price = p ? p->priceCents : 0;  // a sale's product always exists
        prices_.emplace(product, price);
        return price;
    }

private:
    ReadView& view_;
    std::map<uint64_t, int64_t> prices_;
};

Doc saleRow(const Sale& s, PriceCache& prices) {
    const int64_t unit = prices.priceOf(s.product);
    Doc row = saleDoc(s);
    row["unit_price_cents"] = unit;
    row["total_cents"] = amountDoc(static_cast<Wide>(unit) * s.quantity);
    return row;
}

Doc productRow(const Product& p) {
    Doc row = productEventDoc(p);
    row["stock"] = p.stock;
    row["value_cents"] = amountDoc(static_cast<Wide>(p.priceCents) * p.stock);
    return row;
}

uint64_t idOf(const Doc& body) {
    uint64_t id = 0;
    takeId(body, "id", id);
    return id;
}

// Sales by id, through the seller or product index when one is given, with the other filters
// checked per row.
Result<Doc> salesList(const Doc& body, ReadView& view) {
    auto paging = takePaging(body);
    if (!paging) return paging.error();
    std::optional<uint64_t> seller, product;
    std::optional<std::string> client;
    std::optional<int64_t> from, to;
    if (body.contains("seller")) seller = body["seller"].get<uint64_t>();
    if (body.contains("product")) product = body["product"].get<uint64_t>();
    if (body.contains("client")) client = body["client"].get<std::string>();
    if (body.contains("from")) from = body["from"].get<int64_t>();
    if (body.contains("to")) to = body["to"].get<int64_t>();

    PriceCache prices(view);
    Page page(paging->limit);
    auto consider = [&](const Sale& s) {
        if ((seller && s.seller != *seller) || (product && s.product != *product) || (client && s.client != *client) ||
            (from && s.at < *from) || (to && s.at >= *to))
            return true;
        return page.add(s.id, saleRow(s, prices));
    };
    if (seller || product) {
        const std::string prefix = seller ? keys::sellerSales(*seller) : keys::productSales(*product);
        const std::string start = paging->after ? prefix + keyNum(paging->after) : std::string();
        view.scan(prefix, start, [&](std::string_view key, std::string_view) {
            auto id = keys::trailingId(key);
            auto s = id ? loadSale(view, *id) : std::nullopt;
            return s ? consider(*s) : true;
        });
    } else {
        const std::string start = paging->after ? keys::sale(paging->after) : std::string();
        view.scan(keys::kSales, start, [&](std::string_view key, std::string_view value) {
            return consider(saleFromDoc(decodeRecord(key, value)));
        });
    }
    return std::move(page).finish();
}

Result<Doc> saleGet(const Doc& body, ReadView& view) {
    const uint64_t id = idOf(body);
    auto s = loadSale(view, id);
    if (!s) return notFound("sale", id, "id");
    PriceCache prices(view);
    return saleRow(*s, prices);
}

Result<Doc> sellersList(const Doc& body, ReadView& view) {
    auto paging = takePaging(body);
    if (!paging) return paging.error();
    Page page(paging->limit);
    const std::string start = paging->after ? keys::seller(paging->after) : std::string();
    view.scan(keys::kSellers, start, [&](std::string_view key, std::string_view value) {
        Seller s = sellerFromDoc(decodeRecord(key, value));
        return page.add(s.id, sellerDoc(s));
    });
    return std::move(page).finish();
}

// Count and total are computed from the seller's index at query time: the total depends on the
// products' current prices, which change without touching the seller.
Result<Doc> sellerGet(const Doc& body, ReadView& view) {
    const uint64_t id = idOf(body);
    auto s = loadSeller(view, id);
    if (!s) return notFound("seller", id, "id");
    PriceCache prices(view);
    uint64_t count = 0;
    Wide total = 0;
    for (uint64_t saleId : indexedIds(view, keys::sellerSales(id))) {
        auto sale = loadSale(view, saleId);
        if (!sale) continue;
        ++count;
        total += static_cast<Wide>(prices.priceOf(sale->product)) * sale->quantity;
    }
    Doc out = sellerDoc(*s);
    out["sales_count"] = count;
    out["sales_total_cents"] = amountDoc(total);
    return out;
}

Result<Doc> productsList(const Doc& body, ReadView& view) {
    auto paging = takePaging(body);
    if (!paging) return paging.error();
    Page page(paging->limit);
    const std::string start = paging->after ? keys::product(paging->after) : std::string();
    view.scan(keys::kProducts, start, [&](std::string_view key, std::string_view value) {
        Product p = productFromRecord(decodeRecord(key, value));
        return page.add(p.id, productRow(p));
    });
    return std::move(page).finish();
}

// The product and one page of its stock entries: a product received thousands of times must not
// cost a replica thousands of records per query (its event loop would miss heartbeats meanwhile).
Result<Doc> productGet(const Doc& body, ReadView& view) {
    const uint64_t id = idOf(body);
    auto paging = takePaging(body);
    if (!paging) return paging.error();
    auto p = loadProduct(view, id);
    if (!p) return notFound("product", id, "id");
    Page page(paging->limit);
    const std::string start = paging->after ? keys::entry(id, paging->after) : std::string();
    view.scan(keys::entries(id), start, [&](std::string_view key, std::string_view value) {
        StockEntry e = entryFromDoc(decodeRecord(key, value));
        return page.add(e.entry, Doc{{"entry", e.entry}, {"quantity", e.quantity}, {"at", e.at}});
    });
    return std::move(page).finish("entries", productRow(*p));
}

Result<Doc> inventoryValue(ReadView& view) {
    Wide total = 0, units = 0;
    uint64_t count = 0;
    view.scan(keys::kProducts, "", [&](std::string_view key, std::string_view value) {
        Product p = productFromRecord(decodeRecord(key, value));
        ++count;
        units += p.stock;
        total += static_cast<Wide>(p.priceCents) * p.stock;
        return true;
    });
    return Doc{{"total_cents", amountDoc(total)}, {"products", count}, {"units", amountDoc(units)}};
}

}  // namespace

Result<Doc> runQuery(std::string_view name, const Doc& body, ReadView& view) {
    if (!body.is_object()) return makeError("bad_field", fmt::format("the body of '{}' must be a map", name));
    try {
        if (name == "sales.list") return salesList(body, view);
        if (name == "sale.get") return saleGet(body, view);
        if (name == "sellers.list") return sellersList(body, view);
        if (name == "seller.get") return sellerGet(body, view);
        if (name == "products.list") return productsList(body, view);
        if (name == "product.get") return productGet(body, view);
        if (name == "inventory.value") return inventoryValue(view);
    } catch (const Doc::exception& e) {
        // Only a body that skipped schema checks, or a corrupt record, gets here.
        return makeError("bad_field", fmt::format("query '{}' could not be answered: {}", name, e.what()));
    }
    return makeError("unknown_message", fmt::format("'{}' is not a query; see schemas/README.md", name));
}

}  // namespace jupiter
