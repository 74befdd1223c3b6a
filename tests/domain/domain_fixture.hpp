// Shared helpers for the domain tests: a real RocksDB store in a fresh temp folder, and commands run
// the way the command node runs them (decide, then applyEvent for each event, then commit), with
// every command body and every event checked against the message catalogue on the way.
#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "domain/decider.hpp"
#include "domain/projection.hpp"
#include "domain/queries.hpp"
#include "schemas/catalog.hpp"
#include "store/store.hpp"
#include "tests/temp_dir.hpp"

namespace jupiter::testing {

inline std::unique_ptr<Store> openStore(const std::filesystem::path& dir) {
    auto store = Store::open(dir, Store::Options{});
    REQUIRE_MESSAGE(store.ok(), (store.ok() ? std::string() : store.error().message));
    return std::move(store.value());
}

// Applies `events` to `store` in one committed transaction; every one must apply.
inline void applyAll(Store& store, const std::vector<NewEvent>& events) {
    auto txn = store.begin();
    for (const auto& e : events) {
        auto st = applyEvent(e.name, e.body, *txn);
        REQUIRE_MESSAGE(st.ok(), e.name, " ", e.body.dump(), ": ", (st.ok() ? std::string() : st.error().message));
    }
    REQUIRE(store.commit(*txn, false).ok());
}

class Domain {
public:
    Domain() : store_(openStore(dir_.path / "store")) {}

    Store& store() { return *store_; }
    // Every event applied so far, in order (to replay them elsewhere).
    const std::vector<NewEvent>& log() const { return log_; }
    // The wall time the next command is decided at.
    int64_t now = 1'700'000'000'000;

    // Runs one command like the command node: returns the reply, or the error (nothing committed).
    Result<Doc> run(std::string_view name, const Doc& body) {
        const MessageSpec* spec = findMessage(Kind::Command, name);
        REQUIRE_MESSAGE(spec, name, " is not a command");
        auto valid = validateBody(*spec, body);
        REQUIRE_MESSAGE(valid.ok(), "test body fails the schema: ", (valid.ok() ? std::string() : valid.error().message));
        auto txn = store_->begin();
        auto decision = decide(name, body, *txn, now);
        CHECK_MESSAGE(txn->empty(), "decide() wrote to the transaction");
        if (!decision) return decision.error();
        for (const auto& e : decision->events) {
            const MessageSpec* eventSpec = findMessage(Kind::Events, e.name);
            REQUIRE_MESSAGE(eventSpec, e.name, " is not an event");
            auto ok = validateBody(*eventSpec, e.body);
            CHECK_MESSAGE(ok.ok(), e.name, " fails the schema: ", (ok.ok() ? std::string() : ok.error().message));
            auto st = applyEvent(e.name, e.body, *txn);
            REQUIRE_MESSAGE(st.ok(), e.name, ": ", (st.ok() ? std::string() : st.error().message));
        }
        REQUIRE(store_->commit(*txn, false).ok());
        log_.insert(log_.end(), decision->events.begin(), decision->events.end());
        lastEvents_ = decision->events;
        return decision->reply;
    }

    // A command that must succeed; its reply.
    Doc ok(std::string_view name, const Doc& body) {
        auto r = run(name, body);
        REQUIRE_MESSAGE(r.ok(), name, " failed: ", (r.ok() ? std::string() : r.error().message));
        return r.value();
    }

    // A command that must fail; its error.
    Error fail(std::string_view name, const Doc& body) {
        auto r = run(name, body);
        REQUIRE_MESSAGE(!r.ok(), name, " unexpectedly succeeded");
        return r.error();
    }

    Result<Doc> query(std::string_view name, const Doc& body) {
        const MessageSpec* spec = findMessage(Kind::Query, name);
        REQUIRE_MESSAGE(spec, name, " is not a query");
        REQUIRE(validateBody(*spec, body).ok());
        auto view = store_->snapshot();
        return runQuery(name, body, view);
    }

    Doc ask(std::string_view name, const Doc& body) {
        auto r = query(name, body);
        REQUIRE_MESSAGE(r.ok(), name, " failed: ", (r.ok() ? std::string() : r.error().message));
        return r.value();
    }

    // The stored record at `key`, or null when absent.
    Doc record(const std::string& key) {
        auto bytes = store_->get(key);
        if (!bytes) return Doc();
        auto d = unpackDoc(*bytes);
        REQUIRE(d.ok());
        return d.value();
    }
    bool has(const std::string& key) { return store_->get(key).has_value(); }

    const std::vector<NewEvent>& lastEvents() const { return lastEvents_; }

    // Shorthands that create an entity and return its id.
    uint64_t seller(const std::string& docNumber, const std::string& docType = "CEDULA") {
        return ok("seller.create", Doc{{"first_name", "Ana"},
                                      {"last_name", "Ruiz"},
                                      {"doc_type", docType},
                                      {"doc_number", docNumber},
                                      {"phone", "3001234567"}})["id"]
            .get<uint64_t>();
    }
    uint64_t product(const std::string& code, const Doc& price) {
        return ok("product.create", Doc{{"code", code}, {"description", "item " + code}, {"price", price}})["id"]
            .get<uint64_t>();
    }
    uint64_t receive(uint64_t product, int64_t quantity) {
        return ok("stock.receive", Doc{{"product", product}, {"quantity", quantity}})["id"].get<uint64_t>();
    }
    uint64_t sale(uint64_t seller, uint64_t product, int64_t quantity, const std::string& invoice,
                  const std::string& client = "Carlos") {
        return ok("sale.create", Doc{{"seller", seller},
                                    {"product", product},
                                    {"quantity", quantity},
                                    {"client", client},
                                    {"invoice", invoice}})["id"]
            .get<uint64_t>();
    }
    int64_t stockOf(uint64_t product) { return ask("product.get", Doc{{"id", product}})["stock"].get<int64_t>(); }

private:
    TempDir dir_;
    std::unique_ptr<Store> store_;
    std::vector<NewEvent> log_;
    std::vector<NewEvent> lastEvents_;
};

// True when `text` contains `part` (for checking that messages name the field or entity).
inline bool mentions(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace jupiter::testing
