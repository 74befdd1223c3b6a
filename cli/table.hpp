// Plain-text tables for the terminal, and the cell formatting rules Jupiter's data needs: amounts
// kept in cents shown as money, epoch-millisecond dates shown as UTC ISO times.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/doc.hpp"

namespace jupiter::cli {

// 1250 -> "12.50", -5 -> "-0.05"; a non-integer amount (a sum too large for int64 arrives as a
// double) is rounded to two decimals. Returns the value's JSON text if it is not a number.
std::string formatMoney(const Doc& cents);

// The header for a data key: "price_cents" -> "price"; other keys as they are.
std::string columnHeader(std::string_view key);

// One cell: money for keys ending in "_cents", UTC time for "at", strings unquoted, null empty,
// anything nested as compact JSON.
std::string formatCell(std::string_view key, const Doc& value);

// The keys of `rows` (an array of objects) in display order: well-known keys first (id, names,
// quantities, then money, then dates), the rest alphabetically. Only scalar-valued keys.
std::vector<std::string> columnsOf(const Doc& rows);

// Renders `rows` (an array of objects) as an aligned table with a header and a rule line, using
// `columns` (keys, in order; default columnsOf(rows)). Numeric cells are right-aligned. Cells are
// formatted with formatCell and headed by columnHeader. An empty array renders as "(no rows)\n".
std::string renderTable(const Doc& rows, const std::vector<std::string>& columns = {});

}  // namespace jupiter::cli
