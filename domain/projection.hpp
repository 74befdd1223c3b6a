// The projection of events onto state: the one function that turns the event log into the records,
// indexes and counters under "s/". The command node (write model) and every query node (read
// model) run it on the same sequence, so it must be a pure function of that sequence.
#pragma once

#include <string_view>

#include "common/doc.hpp"
#include "common/result.hpp"
#include "store/txn.hpp"

namespace jupiter {

// Applies event `name` with `body` to the state in `txn`, keeping records, indexes and id counters
// consistent. All checks come before any write, so on error nothing was written. Error code
// "diverged" when the event contradicts the state (a missing or duplicate entity, a taken unique
// key, stock going negative, a malformed body or an unknown event): for the caller that is a
// broken invariant, not bad input.
Status applyEvent(std::string_view name, const Doc& body, Txn& txn);

}  // namespace jupiter
