// Record encoding and typed state reads; see records.hpp.
#include "domain/records.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "common/packed_map.hpp"
#include "domain/keys.hpp"

namespace jupiter {

Doc sellerDoc(const Seller& s) {
    return Doc{{"id", s.id},
               {"first_name", s.firstName},
               {"last_name", s.lastName},
               {"doc_type", s.docType},
               {"doc_number", s.docNumber},
               {"phone", s.phone}};
}

Seller sellerFromDoc(const Doc& d) {
    Seller s;
    s.id = d.at("id").get<uint64_t>();
    s.firstName = d.at("first_name").get<std::string>();
    s.lastName = d.at("last_name").get<std::string>();
    s.docType = d.at("doc_type").get<std::string>();
    s.docNumber = d.at("doc_number").get<std::string>();
    s.phone = d.at("phone").get<std::string>();
    return s;
}

Doc productEventDoc(const Product& p) {
    return Doc{{"id", p.id}, {"code", p.code}, {"description", p.description}, {"price_cents", p.priceCents}};
}

Doc productRecordDoc(const Product& p) {
    Doc d = productEventDoc(p);
    d["stock"] = p.stock;
    d["received"] = p.received;
    return d;
}

Product productFromEvent(const Doc& d) {
    Product p;
    p.id = d.at("id").get<uint64_t>();
    p.code = d.at("code").get<std::string>();
    p.description = d.at("description").get<std::string>();
    p.priceCents = d.at("price_cents").get<int64_t>();
    return p;
}

Product productFromRecord(const Doc& d) {
    Product p = productFromEvent(d);
    p.stock = d.at("stock").get<int64_t>();
    p.received = d.at("received").get<int64_t>();
    return p;
}

Doc saleDoc(const Sale& s) {
    return Doc{{"id", s.id},         {"seller", s.seller},   {"product", s.product}, {"quantity", s.quantity},
               {"client", s.client}, {"invoice", s.invoice}, {"at", s.at}};
}

Sale saleFromDoc(const Doc& d) {
    Sale s;
    s.id = d.at("id").get<uint64_t>();
    s.seller = d.at("seller").get<uint64_t>();
    s.product = d.at("product").get<uint64_t>();
    s.quantity = d.at("quantity").get<int64_t>();
    s.client = d.at("client").get<std::string>();
    s.invoice = d.at("invoice").get<std::string>();
    s.at = d.at("at").get<int64_t>();
    return s;
}

Doc entryDoc(const StockEntry& e) {
    return Doc{{"entry", e.entry}, {"product", e.product}, {"quantity", e.quantity}, {"at", e.at}};
}

std::string packEntryRecord(const StockEntry& e) {
    return MapPacker(4).i64("at", e.at).u64("entry", e.entry).u64("product", e.product).i64("quantity", e.quantity).take();
}

StockEntry entryFromDoc(const Doc& d) {
    StockEntry e;
    e.entry = d.at("entry").get<uint64_t>();
    e.product = d.at("product").get<uint64_t>();
    e.quantity = d.at("quantity").get<int64_t>();
    e.at = d.at("at").get<int64_t>();
    return e;
}

Doc decodeRecord(std::string_view key, std::string_view bytes) {
    auto doc = unpackDoc(bytes);
    if (!doc) throw std::runtime_error(fmt::format("corrupt record at '{}': {}", key, doc.error().message));
    return std::move(doc.value());
}

namespace {

// Reads and converts one record; a stored record of the wrong shape is corruption, not input.
template <class T, class FromBytes>
std::optional<T> loadWith(ReadView& view, const std::string& key, FromBytes fromBytes) {
    auto bytes = view.get(key);
    if (!bytes) return std::nullopt;
    auto corrupt = [&key](const char* what) {
        return std::runtime_error(fmt::format("corrupt record at '{}': {}", key, what));
    };
    try {
        return fromBytes(*bytes);
    } catch (const Doc::exception& e) {
        throw corrupt(e.what());
    } catch (const std::runtime_error& e) {
        throw corrupt(e.what());
    }
}

// The same through a Doc.
template <class T, class Convert>
std::optional<T> load(ReadView& view, const std::string& key, Convert convert) {
    return loadWith<T>(view, key, [&convert](std::string_view bytes) {
        auto doc = unpackDoc(bytes);
        if (!doc) throw std::runtime_error(doc.error().message);
        return convert(doc.value());
    });
}

}  // namespace

std::optional<Seller> loadSeller(ReadView& view, uint64_t id) {
    return load<Seller>(view, keys::seller(id), sellerFromDoc);
}

Product productFromPacked(std::string_view bytes) {
    const MapReader r(bytes);
    Product p;
    p.id = r.u64("id");
    p.code = r.str("code");
    p.description = r.str("description");
    p.priceCents = r.i64("price_cents");
    p.stock = r.i64("stock");
    p.received = r.i64("received");
    return p;
}

std::optional<Product> loadProduct(ReadView& view, uint64_t id) {
    return loadWith<Product>(view, keys::product(id), productFromPacked);
}

std::optional<Sale> loadSale(ReadView& view, uint64_t id) { return load<Sale>(view, keys::sale(id), saleFromDoc); }

std::optional<uint64_t> loadIndex(ReadView& view, const std::string& key) {
    // A bare packed number (read for every new record: its entity's next id), without a Doc.
    return loadWith<uint64_t>(view, key, [](std::string_view bytes) {
        const auto h = msgpack::unpack(bytes.data(), bytes.size());
        if (h.get().type != msgpack::type::POSITIVE_INTEGER) throw std::runtime_error("not an id");
        return h.get().via.u64;
    });
}

uint64_t loadNextId(ReadView& view, std::string_view entity) {
    return loadIndex(view, keys::next(entity)).value_or(1);
}

void storeSeller(Txn& txn, const Seller& s) { txn.put(keys::seller(s.id), packDoc(sellerDoc(s))); }
// The product record changes with every sale and stock entry: packed field by field (the same
// bytes as packDoc(productRecordDoc(p)), which a unit test checks).
std::string packProductRecord(const Product& p) {
    return MapPacker(6)
        .str("code", p.code)
        .str("description", p.description)
        .u64("id", p.id)
        .i64("price_cents", p.priceCents)
        .i64("received", p.received)
        .i64("stock", p.stock)
        .take();
}

void storeProduct(Txn& txn, const Product& p) { txn.put(keys::product(p.id), packProductRecord(p)); }
void storeSale(Txn& txn, const Sale& s) { txn.put(keys::sale(s.id), packDoc(saleDoc(s))); }
void storeIndex(Txn& txn, const std::string& key, uint64_t id) {
    std::string bytes;
    packU64(bytes, id);  // the bytes of packDoc(Doc(id))
    txn.put(key, bytes);
}

std::vector<uint64_t> indexedIds(ReadView& view, std::string_view prefix) {
    std::vector<uint64_t> ids;
    view.scan(prefix, "", [&](std::string_view key, std::string_view) {
        if (auto id = keys::trailingId(key)) ids.push_back(*id);
        return true;
    });
    return ids;
}

}  // namespace jupiter
