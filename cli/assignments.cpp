// Conversion of `key=value` words to a typed body; see assignments.hpp.
#include "cli/assignments.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <system_error>

#include <fmt/format.h>

#include "schemas/catalog.hpp"

namespace jupiter::cli {
namespace {

Error usage(std::string message) { return makeError("usage", std::move(message)); }

// from_chars over the whole word: "12abc" and "" are refused rather than read as 12 and 0.
template <class T>
bool parseWhole(std::string_view s, T& out) {
    if (s.empty()) return false;
    const char* end = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(s.data(), end, out);
    return ec == std::errc() && ptr == end;
}

// Converts one value to the field's declared type. A failure's message is only what was expected
// ("a whole number >= 0"); the caller adds the field and the value.
Result<Doc> convert(FieldType type, std::string_view value) {
    switch (type) {
        case FieldType::String:
            return Doc(std::string(value));
        case FieldType::UInt: {
            uint64_t v = 0;
            if (!parseWhole(value, v)) return usage("a whole number >= 0");
            return Doc(v);
        }
        case FieldType::Int: {
            int64_t v = 0;
            if (!parseWhole(value, v)) return usage("a whole number");
            return Doc(v);
        }
        case FieldType::Number: {
            double v = 0;
            // from_chars accepts "inf" and "nan"; neither is a price.
            if (!parseWhole(value, v) || !std::isfinite(v)) return usage("a number like 12.50");
            return Doc(v);
        }
        case FieldType::Bool:
            if (value == "true") return Doc(true);
            if (value == "false") return Doc(false);
            return usage("true or false");
        case FieldType::Map:
        case FieldType::Array:
        case FieldType::Any: {
            Doc d = Doc::parse(value, nullptr, /*allow_exceptions=*/false);
            if (d.is_discarded()) return usage("JSON");
            if (type == FieldType::Map && !d.is_object()) return usage("a JSON object");
            if (type == FieldType::Array && !d.is_array()) return usage("a JSON array");
            return d;
        }
    }
    return usage("a value");
}

}  // namespace

std::string messageNames(Kind kind) {
    std::string out;
    for (const auto& m : messageCatalog()) {
        if (m.kind != kind) continue;
        if (!out.empty()) out += ", ";
        out += m.name;
    }
    return out;
}

std::string describeFields(Kind kind, std::string_view name) {
    const MessageSpec* spec = findMessage(kind, name);
    if (!spec) return {};
    if (spec->fields.empty()) return "none";
    std::string out;
    for (const auto& f : spec->fields) {
        if (!out.empty()) out += ", ";
        out += fmt::format("{} ({}{})", f.name, fieldTypeName(f.type), f.required ? ", required" : "");
    }
    return out;
}

Result<Doc> parseAssignments(Kind kind, std::string_view name, const std::vector<std::string>& args) {
    const MessageSpec* spec = findMessage(kind, name);
    if (!spec)
        return usage(fmt::format("unknown {} '{}' (accepted: {})", kindName(kind), name, messageNames(kind)));
    const std::string accepted = fmt::format("{} accepts: {}", name, describeFields(kind, name));
    Doc body = Doc::object();
    for (const auto& word : args) {
        const auto eq = word.find('=');
        if (eq == std::string::npos || eq == 0)
            return usage(fmt::format("'{}' is not of the form field=value; {}", word, accepted));
        const std::string key = word.substr(0, eq);
        const std::string_view value = std::string_view(word).substr(eq + 1);
        const FieldSpec* field = nullptr;
        for (const auto& f : spec->fields)
            if (f.name == key) field = &f;
        if (!field) return usage(fmt::format("unknown field '{}'; {}", key, accepted));
        if (body.contains(key)) return usage(fmt::format("field '{}' is given twice", key));
        auto v = convert(field->type, value);
        if (!v)
            return usage(fmt::format("field '{}' must be {}, got '{}'; {}", key, v.error().message, value, accepted));
        body[key] = std::move(v.value());
    }
    if (auto s = validateBody(*spec, body); !s) return usage(fmt::format("{}; {}", s.error().message, accepted));
    return body;
}

}  // namespace jupiter::cli
