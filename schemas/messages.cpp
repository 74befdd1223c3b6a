// Every message of Jupiter, declared once: commands, events, queries, replies, errors, heartbeats,
// transitions and control requests. Decoders validate against this table; README.md renders it.
#include "schemas/catalog.hpp"

#include <stdexcept>

namespace jupiter {
namespace {

using F = FieldSpec;
constexpr auto S = FieldType::String;
constexpr auto U = FieldType::UInt;
constexpr auto I = FieldType::Int;
constexpr auto N = FieldType::Number;
constexpr auto B = FieldType::Bool;
constexpr auto A = FieldType::Array;

std::vector<MessageSpec> build() {
    std::vector<MessageSpec> c;
    const std::vector<F> sellerFields = {
        {"first_name", S, true, "given name"},
        {"last_name", S, true, "family name"},
        {"doc_type", S, true, "CEDULA, TARJETA_IDENTIDAD, PASAPORTE or CEDULA_EXTRANJERIA"},
        {"doc_number", S, true, "document number, unique per doc_type"},
        {"phone", S, true, "phone number"},
    };
    // ---- commands (client -> gateway -> broker -> command node)
    c.push_back({Kind::Command, "seller.create", "register a seller", sellerFields});
    c.push_back({Kind::Command, "seller.update", "change a seller's fields (only those given)",
                 {{"id", U, true, "seller id"},
                  {"first_name", S, false, "given name"},
                  {"last_name", S, false, "family name"},
                  {"doc_type", S, false, "document type"},
                  {"doc_number", S, false, "document number"},
                  {"phone", S, false, "phone number"}}});
    c.push_back({Kind::Command, "seller.delete", "delete a seller and all of its sales",
                 {{"id", U, true, "seller id"}}});
    c.push_back({Kind::Command, "product.create", "register a product; stock starts at 0",
                 {{"code", S, true, "product code, unique"},
                  {"description", S, true, "description"},
                  {"price", N, true, "unit price, > 0 (stored in cents)"}}});
    c.push_back({Kind::Command, "product.update", "change a product's fields (only those given)",
                 {{"id", U, true, "product id"},
                  {"code", S, false, "product code, unique"},
                  {"description", S, false, "description"},
                  {"price", N, false, "unit price, > 0"}}});
    c.push_back({Kind::Command, "product.delete", "delete a product that has no sales",
                 {{"id", U, true, "product id"}}});
    c.push_back({Kind::Command, "stock.receive", "record a stock entry (dated now, UTC) and raise stock",
                 {{"product", U, true, "product id"}, {"quantity", I, true, "units received, > 0"}}});
    c.push_back({Kind::Command, "sale.create", "record a sale; lowers the product's stock",
                 {{"seller", U, true, "seller id"},
                  {"product", U, true, "product id"},
                  {"quantity", I, true, "units sold, > 0 and <= stock"},
                  {"client", S, true, "client name"},
                  {"invoice", S, true, "invoice number, unique"}}});
    c.push_back({Kind::Command, "sale.update", "change a sale; stock moves by the difference",
                 {{"id", U, true, "sale id"},
                  {"seller", U, false, "seller id"},
                  {"product", U, false, "product id"},
                  {"quantity", I, false, "units sold"},
                  {"client", S, false, "client name"},
                  {"invoice", S, false, "invoice number, unique"}}});
    c.push_back({Kind::Command, "sale.delete", "delete a sale; its units go back to stock",
                 {{"id", U, true, "sale id"}}});

    // ---- events (command node -> bus -> query nodes), full state after the change
    const std::vector<F> sellerState = {
        {"id", U, true, "seller id"},         {"first_name", S, true, ""}, {"last_name", S, true, ""},
        {"doc_type", S, true, ""},            {"doc_number", S, true, ""}, {"phone", S, true, ""}};
    const std::vector<F> productState = {{"id", U, true, "product id"},
                                         {"code", S, true, ""},
                                         {"description", S, true, ""},
                                         {"price_cents", I, true, "unit price in cents"}};
    const std::vector<F> saleState = {{"id", U, true, "sale id"},
                                      {"seller", U, true, ""},
                                      {"product", U, true, ""},
                                      {"quantity", I, true, ""},
                                      {"client", S, true, ""},
                                      {"invoice", S, true, ""},
                                      {"at", I, true, "sale date, ms since the Unix epoch (UTC)"}};
    c.push_back({Kind::Events, "seller.created", "event: a seller was created", sellerState});
    c.push_back({Kind::Events, "seller.updated", "event: a seller's new state", sellerState});
    c.push_back({Kind::Events, "seller.deleted", "event: a seller was deleted (its sales' deletions precede it)",
                 {{"id", U, true, "seller id"}}});
    c.push_back({Kind::Events, "product.created", "event: a product was created", productState});
    c.push_back({Kind::Events, "product.updated", "event: a product's new state", productState});
    c.push_back({Kind::Events, "product.deleted", "event: a product was deleted", {{"id", U, true, ""}}});
    c.push_back({Kind::Events, "stock.received", "event: a stock entry",
                 {{"entry", U, true, "stock entry id"},
                  {"product", U, true, ""},
                  {"quantity", I, true, ""},
                  {"at", I, true, "entry date, ms since the Unix epoch (UTC)"}}});
    c.push_back({Kind::Events, "sale.created", "event: a sale was recorded", saleState});
    c.push_back({Kind::Events, "sale.updated", "event: a sale's new state", saleState});
    c.push_back({Kind::Events, "sale.deleted", "event: a sale was deleted", {{"id", U, true, ""}}});
    c.push_back({Kind::Events, "events", "a batch of consecutive events (publication and replay)",
                 {{"events", A, true, "[{seq, name, at, body}] in sequence order"},
                  {"head", U, true, "the command node's committed sequence when sent"},
                  {"epoch", U, false, "the leadership epoch of the sender (replicas refuse older ones)"}}});

    // ---- queries (client -> gateway -> a query node)
    const std::vector<F> paging = {{"limit", U, false, "max rows (default 100, max 1000)"},
                                   {"after", U, false, "return rows with id greater than this"}};
    auto withPaging = [&](std::vector<F> f) {
        f.insert(f.end(), paging.begin(), paging.end());
        return f;
    };
    c.push_back({Kind::Query, "sales.list", "sales, filtered and paged by id",
                 withPaging({{"seller", U, false, "only this seller's sales"},
                             {"product", U, false, "only this product's sales"},
                             {"client", S, false, "only this client's sales"},
                             {"from", I, false, "date >= this (ms since epoch, UTC)"},
                             {"to", I, false, "date < this (ms since epoch, UTC)"}})});
    c.push_back({Kind::Query, "sale.get", "one sale", {{"id", U, true, "sale id"}}});
    c.push_back({Kind::Query, "sellers.list", "sellers, paged by id", withPaging({})});
    c.push_back({Kind::Query, "seller.get", "one seller with its sales count and total",
                 {{"id", U, true, "seller id"}}});
    c.push_back({Kind::Query, "products.list", "the inventory: products with stock and value", withPaging({})});
    c.push_back({Kind::Query, "product.get", "one product with a page of its stock entries",
                 {{"id", U, true, "product id"},
                  {"limit", U, false, "max stock entries (default 100, max 1000)"},
                  {"after", U, false, "return the entries whose `entry` is greater than this"}}});
    c.push_back({Kind::Query, "inventory.value", "total inventory value (sum of price x stock)", {}});

    // ---- replies and errors
    c.push_back({Kind::Reply, "*", "reply to any request; echoes its name and id; body depends on the request",
                 {{"seq", U, false, "commands: sequence of the last event written"},
                  {"first_seq", U, false, "commands: sequence of the first event written"},
                  {"id", U, false, "commands that create: the new entity's id"},
                  {"duplicate", B, false, "commands: true when this request id was seen before"},
                  {"items", A, false, "list queries: the rows"}},
                 true});
    c.push_back({Kind::Error, "*", "structured error reply to any request",
                 {{"code", S, true, "stable code (the table \"Error codes\" above says when each is sent)"},
                  {"message", S, true, "what was wrong and what to do", 4096},
                  {"field", S, false, "the request's field (of the body, or of the envelope) the error is about"},
                  {"duplicate", B, false, "true: a command's first outcome, answered again to a resend of its id"}}});

    // ---- liveness and monitoring
    c.push_back({Kind::Heartbeat, "heartbeat", "published by every node every interval on topic hb.<node>",
                 {{"node", S, true, "the node's name in jupiter.toml"},
                  {"role", S, true, "broker, command, query, monitor or gateway"},
                  {"pid", U, true, "process id"},
                  {"endpoint", S, true, "the node's request endpoint (ping, queries)"},
                  {"seq", U, true, "applied sequence (query) or head sequence (command); 0 otherwise"},
                  {"digest", U, false, "query/command: digest of the state at seq"},
                  {"uptime_ms", U, true, "time since the node started"},
                  {"interval_ms", U, true, "the sender's heartbeat interval"},
                  {"route", S, false, "gateway: the query replica in use, or empty"},
                  {"route_since_ms", I, false, "gateway: wall time the route was chosen"},
                  {"route_reason", S, false, "gateway: why the route last changed"},
                  {"queries", U, false, "gateway: queries it answered to clients since it started"},
                  {"commands", U, false, "gateway: commands it answered to clients since it started"},
                  {"standing", S, false, "command: leader, standby or unknown"},
                  {"epoch", U, false, "command: the leadership epoch it knows (0: a single command node)"},
                  {"leader", S, false, "command: the leader it knows, or empty"},
                  {"stuck_at", U, false,
                   "query: the event it cannot apply; it stopped applying there, is not routed to, and resumes "
                   "when restarted with a build that can (absent: it applies normally)"},
                  {"stuck_reason", S, false, "query: why it cannot apply stuck_at", 512}}});
    c.push_back({Kind::Transition, "transition", "published by the monitor on topic tr for every change it logs",
                 {{"at_ms", I, true, "wall time, ms since epoch"},
                  {"node", S, true, "the node concerned"},
                  {"event", S, true, "UP, DOWN, REROUTE, LEADER, STUCK or RESUMED"},
                  {"detail", S, true, "the rest of the log line", 1024},
                  {"line", S, true, "the full log line", 2048}}});

    // ---- control requests (answered on each node's request endpoint)
    c.push_back({Kind::Control, "ping", "liveness probe; every node answers with pong", {}});
    c.push_back({Kind::Control, "pong", "answer to ping",
                 {{"node", S, true, ""}, {"pid", U, true, ""}, {"seq", U, false, ""}}, true});
    c.push_back({Kind::Control, "status", "monitor: the cluster's state as the monitor sees it", {}});
    c.push_back({Kind::Control, "replay", "command node: events from `from` (inclusive), at most `max`",
                 {{"from", U, true, "first sequence wanted"}, {"max", U, false, "max events (default 1000)"}}});
    c.push_back({Kind::Control, "snapshot",
                 "command node: a chunk of a consistent copy of its state (a new or far-behind replica installs it, "
                 "then replays what follows); the reply: {snapshot, seq, digest, records: [key, value, ...], done}",
                 {{"snapshot", U, false, "the copy being read (0 or absent: take a new one)"},
                  {"after", S, false, "the last key received (absent: from the first)", 4096},
                  {"max_bytes", U, false, "about how many bytes of records (default 1 MiB, at most 2 MiB)"}}});
    c.push_back({Kind::Control, "fetch", "standby command node: the leader's replication log from `from` on",
                 {{"from", U, true, "first entry wanted (the standby holds everything before it)"},
                  {"last_epoch", U, true, "epoch of the standby's entry from-1"},
                  {"last_digest", U, true, "the store's digest after the standby's entry from-1 (0 when from is 1): "
                                           "its proof of holding it; a fetch whose digest is not the leader's "
                                           "acknowledges nothing (error diverged)"},
                  {"epoch", U, true, "the leadership epoch the standby follows"},
                  {"node", S, true, "the standby's name"}}});
    c.push_back({Kind::Control, "fence",
                 "candidate command node: another command node's log position, asked after the leader key was seen "
                 "gone; from its answer on, that node acknowledges no write of an epoch up to `revision` (for two "
                 "lease TTLs), so that the answer stays true while the candidate campaigns; the reply: {log_index, "
                 "log_epoch}",
                 {{"revision", U, true, "the etcd revision at which the candidate read the leader key absent"},
                  {"node", S, true, "the candidate's name (its key must be that node's)"}}});
    c.push_back({Kind::Control, "digest", "state digest of a node's store at its current sequence", {}});
    c.push_back({Kind::Control, "keys", "hash of each stored record from `after` on (to locate a divergence)",
                 {{"after", S, false, "start after this key"}, {"max", U, false, "max keys (default 1000)"}}});

    // ---- reply bodies of the commands and queries
    auto replyOf = [&c](Kind kind, std::string_view name) -> std::vector<F>& {
        for (auto& m : c)
            if (m.kind == kind && m.name == name) return m.reply;
        throw std::logic_error("reply of an unknown message");
    };
    for (auto& m : c) {
        if (m.kind != Kind::Command) continue;
        m.reply = {{"seq", U, true, "sequence of the last event written (the envelope's seq too; a later query's min_seq)"},
                   {"first_seq", U, true, "sequence of the first event written"},
                   {"events", U, true, "how many events the command wrote (a delete of a seller: one per sale, then it)"},
                   {"id", U, m.name.ends_with(".create") || m.name == "stock.receive",
                    "commands that create: the new entity's id (stock.receive: the entry's)"},
                   {"duplicate", B, false, "true: this client sent this id before; the reply is that first outcome"}};
    }
    const std::vector<F> saleRow = {{"id", U, true, "sale id"},
                                    {"seller", U, true, "seller id"},
                                    {"product", U, true, "product id"},
                                    {"quantity", I, true, "units sold"},
                                    {"client", S, true, "client name"},
                                    {"invoice", S, true, "invoice number"},
                                    {"at", I, true, "sale date, ms since the Unix epoch (UTC)"},
                                    {"unit_price_cents", I, true, "the product's current unit price, in cents"},
                                    {"total_cents", I, true, "quantity x unit_price_cents"}};
    const std::vector<F> sellerRow = {{"id", U, true, "seller id"}, {"first_name", S, true, ""},
                                      {"last_name", S, true, ""},   {"doc_type", S, true, ""},
                                      {"doc_number", S, true, ""},  {"phone", S, true, ""}};
    const std::vector<F> productRow = {{"id", U, true, "product id"},
                                       {"code", S, true, ""},
                                       {"description", S, true, ""},
                                       {"price_cents", I, true, "unit price in cents"},
                                       {"stock", I, true, "units in stock"},
                                       {"value_cents", I, true, "price_cents x stock"}};
    auto plus = [](std::vector<F> f, std::initializer_list<F> more) {
        f.insert(f.end(), more);
        return f;
    };
    auto page = [](std::string_view rows) {
        return std::vector<F>{
            {"items", A, true, rows},
            {"next_after", U, false, "present when more rows follow: send it as `after` for the next page"}};
    };
    replyOf(Kind::Query, "sales.list") = page("the sales, by id ascending, at most `limit`, each as sale.get's reply");
    replyOf(Kind::Query, "sellers.list") =
        page("the sellers, by id ascending, at most `limit`: id, first_name, last_name, doc_type, doc_number, phone");
    replyOf(Kind::Query, "products.list") =
        page("the products, by id ascending, at most `limit`, each as product.get's reply without `entries` and "
             "`next_after`");
    replyOf(Kind::Query, "sale.get") = saleRow;
    replyOf(Kind::Query, "seller.get") =
        plus(sellerRow, {{"sales_count", U, true, "the seller's sales"},
                         {"sales_total_cents", I, true, "their total at the products' current prices"}});
    replyOf(Kind::Query, "product.get") =
        plus(productRow, {{"entries", A, true, "its stock entries by `entry` ascending, at most `limit`: [{entry, "
                                               "quantity, at (ms, UTC)}]"},
                          {"next_after", U, false, "present when more entries follow: send it as `after` for the next "
                                                   "page"}});
    replyOf(Kind::Query, "inventory.value") = {{"total_cents", I, true, "sum of price_cents x stock"},
                                               {"products", U, true, "number of products"},
                                               {"units", I, true, "units in stock, all products"}};
    return c;
}

}  // namespace

const std::vector<MessageSpec>& messageCatalog() {
    static const std::vector<MessageSpec> catalog = build();
    return catalog;
}

}  // namespace jupiter
