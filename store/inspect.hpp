// Read-only views of a store for `jupiter verify`: the state digest at the store's sequence, and
// the hash of each state record (to name the first record where two nodes differ).
#pragma once

#include <optional>
#include <string>

#include "common/doc.hpp"
#include "store/store.hpp"

namespace jupiter {

// {"seq", "digest", "records"}: digest recomputed from a snapshot (not the running one), so it
// also proves the incrementally kept digest right.
Doc digestReply(const Store& store);

// {"keys": [[key, hash], ...], "next": last key or ""}: up to `max` state records after `after`.
Doc keysReply(const Store& store, const std::string& after, std::size_t max);

// The body answering control request `name` ("digest", or "keys" with optional after/max, max at
// most 10,000) — what the command node and every query node answer alike; nullopt for other names.
std::optional<Doc> inspectRequest(const Store& store, const std::string& name, const Doc& body);

}  // namespace jupiter
