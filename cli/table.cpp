// Terminal tables and cell formatting; see table.hpp.
#include "cli/table.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>

#include "common/clock.hpp"

namespace jupiter::cli {
namespace {

bool endsWith(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool isMoneyKey(std::string_view key) { return endsWith(key, "_cents"); }

// Where a key goes in the column order; lower first, unknown keys (kRest) alphabetically after.
// Reading a row left to right should go: what it is, who/what it involves, how much, when.
constexpr int kRest = 1000;
int rankOf(std::string_view key) {
    static constexpr std::string_view order[] = {
        "id",    "entry",     "node",      "code",       "description", "first_name", "last_name",
        "doc_type", "doc_number", "phone", "seller",     "product",     "client",     "invoice",
        "quantity", "stock",  "products",  "units",      "sales_count",
    };
    for (std::size_t i = 0; i < std::size(order); ++i)
        if (order[i] == key) return static_cast<int>(i);
    if (isMoneyKey(key)) return kRest + 1;  // money after the plain fields
    if (key == "at") return kRest + 2;      // the date last
    return kRest;
}

// Display width of a UTF-8 string, counting code points (names like "Núñez" must still align).
std::size_t displayWidth(std::string_view s) {
    std::size_t n = 0;
    for (char c : s)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
    return n;
}

}  // namespace

std::string formatMoney(const Doc& cents) {
    if (cents.is_number_integer()) {
        // Through unsigned so that INT64_MIN has a magnitude.
        const bool negative = cents.is_number_unsigned() ? false : cents.get<int64_t>() < 0;
        uint64_t mag = 0;
        if (cents.is_number_unsigned())
            mag = cents.get<uint64_t>();
        else {
            const int64_t v = cents.get<int64_t>();
            mag = negative ? uint64_t{0} - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
        }
        return fmt::format("{}{}.{:02}", negative ? "-" : "", mag / 100, mag % 100);
    }
    if (cents.is_number()) {
        const double v = cents.get<double>();
        if (std::isfinite(v)) return fmt::format("{:.2f}", v / 100.0);
    }
    return cents.dump();
}

std::string columnHeader(std::string_view key) {
    if (isMoneyKey(key) && key.size() > 6) return std::string(key.substr(0, key.size() - 6));
    return std::string(key);
}

std::string formatCell(std::string_view key, const Doc& value) {
    if (value.is_null()) return "";
    if (value.is_string()) return value.get<std::string>();
    if (isMoneyKey(key) && value.is_number()) return formatMoney(value);
    // Dates before 1970 do not occur; a negative one is shown raw rather than mis-rendered.
    if (key == "at" && value.is_number_integer() && value.get<int64_t>() >= 0) return formatUtcMs(value.get<int64_t>());
    return value.dump();
}

std::vector<std::string> columnsOf(const Doc& rows) {
    std::vector<std::string> keys;
    if (!rows.is_array()) return keys;
    for (const auto& row : rows) {
        if (!row.is_object()) continue;
        for (auto it = row.begin(); it != row.end(); ++it) {
            if (it->is_structured()) continue;  // nested lists get their own table
            if (std::find(keys.begin(), keys.end(), it.key()) == keys.end()) keys.push_back(it.key());
        }
    }
    std::stable_sort(keys.begin(), keys.end(), [](const std::string& a, const std::string& b) {
        const int ra = rankOf(a), rb = rankOf(b);
        return ra != rb ? ra < rb : a < b;
    });
    return keys;
}

std::string renderTable(const Doc& rows, const std::vector<std::string>& columns) {
    if (!rows.is_array() || rows.empty()) return "(no rows)\n";
    const std::vector<std::string> cols = columns.empty() ? columnsOf(rows) : columns;
    if (cols.empty()) return "(no rows)\n";

    std::vector<std::string> headers;
    std::vector<std::size_t> widths;
    std::vector<bool> numeric(cols.size(), true);
    for (const auto& c : cols) {
        headers.push_back(columnHeader(c));
        widths.push_back(displayWidth(headers.back()));
    }
    std::vector<std::vector<std::string>> cells;
    for (const auto& row : rows) {
        std::vector<std::string> line;
        for (std::size_t i = 0; i < cols.size(); ++i) {
            const Doc* v = row.is_object() && row.contains(cols[i]) ? &row[cols[i]] : nullptr;
            line.push_back(v ? formatCell(cols[i], *v) : "");
            // Numbers align right, dates left; "-" stands for "no value" in an otherwise numeric column.
            if (v && !v->is_null() && (!v->is_number() || cols[i] == "at") && *v != "-") numeric[i] = false;
            widths[i] = std::max(widths[i], displayWidth(line.back()));
        }
        cells.push_back(std::move(line));
    }

    std::string out;
    auto emit = [&](const std::vector<std::string>& line) {
        std::string text;
        for (std::size_t i = 0; i < line.size(); ++i) {
            const std::string pad(widths[i] - displayWidth(line[i]), ' ');
            if (i > 0) text += "  ";
            text += numeric[i] ? pad + line[i] : line[i] + pad;
        }
        while (!text.empty() && text.back() == ' ') text.pop_back();
        out += text + "\n";
    };
    emit(headers);
    std::vector<std::string> rule;
    for (auto w : widths) rule.emplace_back(w, '-');
    emit(rule);
    for (const auto& line : cells) emit(line);
    return out;
}

}  // namespace jupiter::cli
