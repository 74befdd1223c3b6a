// The decider's rules for sales (create, update, delete): stock availability, invoice uniqueness
// and the existence of the seller and product. Internal to decide() (decider.hpp).
#pragma once

#include <cstdint>

#include "domain/decider.hpp"

namespace jupiter {

Result<Decision> saleCreate(const Doc& body, ReadView& state, int64_t nowMs);
Result<Decision> saleUpdate(const Doc& body, ReadView& state);
Result<Decision> saleDelete(const Doc& body, ReadView& state);

}  // namespace jupiter
