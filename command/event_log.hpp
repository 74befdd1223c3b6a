// The command node's event log: every event under "e/<seq>", written in the same atomic batch as
// the state it produced. Query nodes replay from it to fill gaps and to build a new replica.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/doc.hpp"
#include "store/store.hpp"

namespace jupiter {

std::string eventKey(uint64_t seq);

// An event as stored and as sent on the bus: {seq, name, at, body}.
Doc makeEventDoc(uint64_t seq, std::string_view name, int64_t atMs, const Doc& body);

// Events from `from` (inclusive), at most `max`, in order.
Doc readEvents(const Store& store, uint64_t from, std::size_t max);

// An event batch's body, packed: {events: [`count` events packed one after another in
// `packedEvents`], head, epoch}. Live batches on the bus and replay replies alike.
std::string packEventsBody(std::string_view packedEvents, uint32_t count, uint64_t head, uint64_t epoch);

// A replay reply's body, packed: {events: [the stored events from `from` up to `upTo`, at most
// `max` and about `maxBytes`], head, epoch}. The stored records go out as they are, undecoded.
std::string packReplayBody(const Store& store, uint64_t from, uint64_t upTo, std::size_t max, std::size_t maxBytes,
                           uint64_t head, uint64_t epoch);

}  // namespace jupiter
