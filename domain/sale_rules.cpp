// Sale commands -> sale events; see sale_rules.hpp.
#include "domain/sale_rules.hpp"

#include <fmt/format.h>

#include "domain/fields.hpp"
#include "domain/keys.hpp"
#include "domain/records.hpp"

namespace jupiter {
namespace {

// Value rules of every sale field present in `body`, copied into `s`.
Status takeSaleFields(const Doc& body, Sale& s, bool required) {
    takeId(body, "seller", s.seller);
    takeId(body, "product", s.product);
    // A sale can never exceed a product's lifetime receipts, so that cap is also the field's maximum.
    if (auto st = takeQuantity(body, "quantity", s.quantity, kMaxReceivedUnits, required); !st) return st;
    if (auto st = takeText(body, "client", s.client, required); !st) return st;
    return takeText(body, "invoice", s.invoice, required);
}

Status checkInvoiceFree(ReadView& state, const Sale& s) {
    auto owner = loadIndex(state, keys::saleInvoice(s.invoice));
    if (owner && *owner != s.id)
        return rejected(fmt::format("invoice '{}' is already used by sale {}; each sale needs its own invoice number",
                                    s.invoice, *owner),
                        "invoice");
    return Ok{};
}

}  // namespace

Result<Decision> saleCreate(const Doc& body, ReadView& state, int64_t nowMs) {
    Sale s;
    if (auto st = takeSaleFields(body, s, true); !st) return st.error();
    if (!loadSeller(state, s.seller)) return notFound("seller", s.seller, "seller");
    auto p = loadProduct(state, s.product);
    if (!p) return notFound("product", s.product, "product");
    s.id = loadNextId(state, "sale");
    if (auto st = checkInvoiceFree(state, s); !st) return st.error();
    if (s.quantity > p->stock)
        return rejected(fmt::format("quantity {} exceeds the stock of product {} ({} units); receive stock first",
                                    s.quantity, p->id, p->stock),
                        "quantity");
    s.at = nowMs;
    return oneEvent("sale.created", saleDoc(s), Doc{{"id", s.id}});
}

// The old units go back to the old product before the new ones are taken, so moving a sale to
// another product, or changing its quantity, is checked against the stock it would really leave.
Result<Decision> saleUpdate(const Doc& body, ReadView& state) {
    uint64_t id = 0;
    takeId(body, "id", id);
    Sale s;
    if (auto st = takeSaleFields(body, s, false); !st) return st.error();
    auto current = loadSale(state, id);
    if (!current) return notFound("sale", id, "id");
    if (body.size() <= 1)
        return rejected(fmt::format(
            "nothing to change for sale {}: give at least one of seller, product, quantity, client, invoice", id));
    s = *current;  // keeps id and the original date
    if (auto st = takeSaleFields(body, s, false); !st) return st.error();
    if (s.seller != current->seller && !loadSeller(state, s.seller)) return notFound("seller", s.seller, "seller");
    auto p = loadProduct(state, s.product);
    if (!p) return notFound("product", s.product, "product");
    if (auto st = checkInvoiceFree(state, s); !st) return st.error();
    const bool sameProduct = s.product == current->product;
    // Both terms are <= kMaxReceivedUnits, so the sum fits.
    const int64_t available = p->stock + (sameProduct ? current->quantity : 0);
    if (s.quantity > available) {
        if (sameProduct)
            return rejected(fmt::format("quantity {} exceeds the stock of product {} ({} units, counting the {} this "
                                        "sale already holds); receive stock first",
                                        s.quantity, p->id, available, current->quantity),
                            "quantity");
        return rejected(fmt::format("quantity {} exceeds the stock of product {} ({} units); receive stock first",
                                    s.quantity, p->id, available),
                        "quantity");
    }
    return oneEvent("sale.updated", saleDoc(s));
}

Result<Decision> saleDelete(const Doc& body, ReadView& state) {
    uint64_t id = 0;
    takeId(body, "id", id);
    if (!loadSale(state, id)) return notFound("sale", id, "id");
    return oneEvent("sale.deleted", Doc{{"id", id}});
}

}  // namespace jupiter
