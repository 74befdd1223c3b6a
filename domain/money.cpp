// Price parsing and wide amounts; see money.hpp.
#include "domain/money.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "domain/records.hpp"

namespace jupiter {
namespace {

// Any magnitude above the cap maps here; it only has to compare greater than kMaxPriceCents.
constexpr int64_t kTooLarge = std::numeric_limits<int64_t>::max();

// Whole number from decimal digits, or kTooLarge when it has more digits than any valid price.
int64_t digitsValue(std::string_view digits) {
    if (digits.size() > 15) return kTooLarge;
    int64_t v = 0;
    for (char c : digits) v = v * 10 + (c - '0');
    return v;
}

// Cents of a finite double > 0. Works on its shortest round-trip decimal form, which is what the
// user typed (1.005 is stored as 1.00499999999999989..., but prints as "1.005").
int64_t doubleToCents(double x) {
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, x);
    std::string_view text(buf, static_cast<std::size_t>(res.ptr - buf));
    std::string digits;
    int exp10 = 0;
    bool afterPoint = false;
    std::size_t i = 0;
    for (; i < text.size() && text[i] != 'e'; ++i) {
        const char c = text[i];
        if (c == '.') {
            afterPoint = true;
        } else if (c >= '0' && c <= '9') {
            if (!(digits.empty() && c == '0')) digits.push_back(c);
            if (afterPoint) --exp10;
        }
    }
    if (i < text.size()) {
        std::string_view e = text.substr(i + 1);
        if (!e.empty() && e.front() == '+') e.remove_prefix(1);
        int ev = 0;
        std::from_chars(e.data(), e.data() + e.size(), ev);
        exp10 += ev;
    }
    if (digits.empty()) return 0;
    const int shift = exp10 + 2;  // value in cents = digits x 10^shift
    if (shift >= 0) {
        if (digits.size() + static_cast<std::size_t>(shift) > 15) return kTooLarge;
        return digitsValue(digits + std::string(static_cast<std::size_t>(shift), '0'));
    }
    const auto dropped = static_cast<std::size_t>(-shift);
    if (dropped > digits.size()) return 0;  // below half a cent
    const std::string_view kept = std::string_view(digits).substr(0, digits.size() - dropped);
    int64_t v = kept.empty() ? 0 : digitsValue(kept);
    if (v != kTooLarge && digits[digits.size() - dropped] >= '5') ++v;  // half away from zero
    return v;
}

}  // namespace

Result<int64_t> priceToCents(std::string_view field, const Doc& value) {
    int64_t cents = 0;
    if (value.is_number_unsigned()) {
        const auto u = value.get<uint64_t>();
        cents = u > static_cast<uint64_t>(kMaxPriceCents / 100) ? kTooLarge : static_cast<int64_t>(u) * 100;
    } else if (value.is_number_integer()) {
        const auto v = value.get<int64_t>();
        if (v <= 0) return makeError("bad_field", fmt::format("field '{}' must be > 0, got {}", field, v), std::string(field));
        cents = v > kMaxPriceCents / 100 ? kTooLarge : v * 100;
    } else if (value.is_number_float()) {
        const double x = value.get<double>();
        if (!std::isfinite(x) || x <= 0)
            return makeError("bad_field", fmt::format("field '{}' must be a number > 0, got {}", field, value.dump()), std::string(field));
        cents = doubleToCents(x);
    } else {
        return makeError("bad_field", fmt::format("field '{}' must be a number", field), std::string(field));
    }
    if (cents == 0 && !value.is_number_float())
        return makeError("bad_field", fmt::format("field '{}' must be > 0, got 0", field), std::string(field));
    if (cents == 0)
        return makeError("bad_field", fmt::format("field '{}' is {}, which rounds to 0 cents; give at least 0.005",
                                                  field, value.dump()), std::string(field));
    if (cents > kMaxPriceCents)
        return makeError("bad_field", fmt::format("field '{}' is {}, above the maximum of {} ({} cents)", field,
                                                  value.dump(), kMaxPriceCents / 100, kMaxPriceCents), std::string(field));
    return cents;
}

Doc amountDoc(Wide cents) {
    if (cents >= std::numeric_limits<int64_t>::min() && cents <= std::numeric_limits<int64_t>::max())
        return Doc(static_cast<int64_t>(cents));
    return Doc(static_cast<double>(cents));
}

}  // namespace jupiter
