// Money: prices given as numbers become integer cents, and amounts (price x quantity, sums over
// many products or sales) are computed in 128 bits so no total can wrap.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/doc.hpp"
#include "common/result.hpp"

namespace jupiter {

using Wide = __int128;

// The price `value` (any JSON number, in currency units) in cents, rounded half away from zero
// as written in decimal (1.005 -> 101). Error "bad_field" naming `field` when it is not > 0, rounds
// to 0 cents, or exceeds kMaxPriceCents.
Result<int64_t> priceToCents(std::string_view field, const Doc& value);

// An amount for a reply: an integer when it fits int64 (always, for realistic data), otherwise a
// float, which is approximate but never wraps to a wrong sign.
Doc amountDoc(Wide cents);

}  // namespace jupiter
