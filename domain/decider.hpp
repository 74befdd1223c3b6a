// The write model's rules: a command, checked against the current state, becomes the events that
// record it. Pure with respect to the store: it reads, never writes; the caller applies the events
// with applyEvent() (projection.hpp) in the same transaction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/doc.hpp"
#include "common/result.hpp"
#include "store/txn.hpp"

namespace jupiter {

struct NewEvent {
    std::string name;  // an event name from the catalogue, e.g. "seller.created"
    Doc body;          // the entity's full state after the change, as the catalogue's event fields
};

struct Decision {
    std::vector<NewEvent> events;
    Doc reply;  // fields for the client: {"id": n} for creates, {} otherwise
};

// The common case: a command that produces exactly one event.
inline Decision oneEvent(std::string name, Doc body, Doc reply = Doc::object()) {
    Decision d;
    d.events.push_back(NewEvent{std::move(name), std::move(body)});
    d.reply = std::move(reply);
    return d;
}

// Validates command `name` (body already schema-checked) against the state read through `state`
// and returns the events it produces, or an Error: "bad_field" (a value breaks a field rule; the
// message names the field), "not_found" (a referenced id does not exist), "rejected" (a business
// rule is broken; the message says what to do instead) or "unknown_message". `nowMs` (UTC wall
// time chosen by the command node) dates new sales and stock entries.
Result<Decision> decide(std::string_view name, const Doc& body, ReadView& state, int64_t nowMs);

}  // namespace jupiter
