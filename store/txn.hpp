// The key-value view that domain logic reads and writes through. A Txn sees its own uncommitted
// writes (read-your-writes within a group of commands or a batch of events) and keeps the store's
// state digest up to date for every key under the state prefix "s/".
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace jupiter {

// Keys under this prefix are "state": the projection of the event log that the write model and
// every read model hold identically, and that the digest covers.
inline constexpr std::string_view kStatePrefix = "s/";

// Read access, possibly to a consistent snapshot.
class ReadView {
public:
    virtual ~ReadView() = default;
    virtual std::optional<std::string> get(std::string_view key) = 0;
    // Visits keys that start with `prefix` and are greater than `startAfter` (if non-empty), in
    // key order, until `visit` returns false.
    virtual void scan(std::string_view prefix, std::string_view startAfter,
                      const std::function<bool(std::string_view key, std::string_view value)>& visit) = 0;
};

class Txn : public ReadView {
public:
    virtual void put(std::string_view key, std::string_view value) = 0;
    // Writes a record the caller knows does not exist yet (one keyed by an id above every id
    // assigned so far): the same as put, less the lookup of an old value. Debug builds check it.
    virtual void insert(std::string_view key, std::string_view value) = 0;
    virtual void del(std::string_view key) = 0;
};

// The contribution of one record to the state digest: the digest is the XOR of this over all
// state records, so it can be updated per write and is independent of write order.
uint64_t recordHash(std::string_view key, std::string_view value);

}  // namespace jupiter
