// Lookup and validation against the message catalogue, and its Markdown rendering.
#include "schemas/catalog.hpp"

#include <fmt/format.h>

namespace jupiter {
namespace {

std::string_view docTypeName(const Doc& v) {
    switch (v.type()) {
        case Doc::value_t::null: return "nil";
        case Doc::value_t::boolean: return "bool";
        case Doc::value_t::number_integer:
        case Doc::value_t::number_unsigned: return "integer";
        case Doc::value_t::number_float: return "float";
        case Doc::value_t::string: return "string";
        case Doc::value_t::array: return "array";
        case Doc::value_t::object: return "map";
        default: return "binary";
    }
}

bool matches(FieldType t, const Doc& v) {
    switch (t) {
        case FieldType::String: return v.is_string();
        case FieldType::UInt: return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
        case FieldType::Int:
            return v.is_number_integer() &&
                   !(v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX));
        case FieldType::Number: return v.is_number();
        case FieldType::Bool: return v.is_boolean();
        case FieldType::Map: return v.is_object();
        case FieldType::Array: return v.is_array();
        case FieldType::Any: return true;
    }
    return false;
}

}  // namespace

std::string_view fieldTypeName(FieldType t) {
    switch (t) {
        case FieldType::String: return "string";
        case FieldType::UInt: return "unsigned integer";
        case FieldType::Int: return "integer";
        case FieldType::Number: return "number";
        case FieldType::Bool: return "bool";
        case FieldType::Map: return "map";
        case FieldType::Array: return "array";
        case FieldType::Any: return "any";
    }
    return "?";
}

const MessageSpec* findMessage(Kind kind, std::string_view name) {
    for (const auto& m : messageCatalog()) {
        if (m.kind == kind && (m.name == name || m.name == "*")) return &m;
    }
    return nullptr;
}

std::string metricNameLabel(Kind kind, const std::string& name) {
    return findMessage(kind, name) ? name : "unknown";
}

namespace {

Status validateFields(const MessageSpec& spec, const std::vector<FieldSpec>& fields, bool open, const Doc& body);

}  // namespace

Status validateBody(const MessageSpec& spec, const Doc& body) {
    return validateFields(spec, spec.fields, spec.openFields, body);
}

Status validateReply(const MessageSpec& spec, const Doc& body) {
    return validateFields(spec, spec.reply, false, body);
}

namespace {

Status validateFields(const MessageSpec& spec, const std::vector<FieldSpec>& fields, bool open, const Doc& body) {
    if (!body.is_object())
        return makeError("bad_field", fmt::format("the body of '{}' must be a map, got {}", spec.name, docTypeName(body)));
    for (const auto& f : fields) {
        auto it = body.find(std::string(f.name));
        if (it == body.end()) {
            if (f.required)
                return makeError("bad_field", fmt::format("'{}' needs field '{}' ({}): {}", spec.name, f.name,
                                                          fieldTypeName(f.type), f.doc),
                                 std::string(f.name));
            continue;
        }
        if (!matches(f.type, *it))
            return makeError("bad_field", fmt::format("field '{}' of '{}' must be of type {}, got {}", f.name, spec.name,
                                                      fieldTypeName(f.type), docTypeName(*it)),
                             std::string(f.name));
        if (f.type == FieldType::String && it->get_ref<const std::string&>().size() > f.maxLen)
            return makeError("bad_field", fmt::format("field '{}' of '{}' is longer than {} bytes", f.name,
                                                      spec.name, f.maxLen),
                             std::string(f.name));
    }
    if (!open) {
        for (auto it = body.begin(); it != body.end(); ++it) {
            bool known = false;
            for (const auto& f : fields) known = known || f.name == it.key();
            if (!known) {
                std::string accepted;
                for (const auto& f : fields) accepted += (accepted.empty() ? "" : ", ") + std::string(f.name);
                return makeError("bad_field", fmt::format("'{}' has no field '{}' (accepted: {})", spec.name, it.key(),
                                                          accepted.empty() ? "none" : accepted),
                                 it.key());
            }
        }
    }
    return Ok{};
}

}  // namespace

std::string catalogMarkdown() {
    std::string out;
    std::optional<Kind> current;
    for (const auto& m : messageCatalog()) {
        if (current != m.kind) {
            current = m.kind;
            out += fmt::format("\n## kind `{}`\n", kindName(m.kind));
        }
        out += fmt::format("\n### `{}`\n{}\n\n", m.name, m.doc);
        if (m.fields.empty()) {
            out += "No fields.\n";
        } else {
            out += "| field | type | required | meaning |\n| --- | --- | --- | --- |\n";
            for (const auto& f : m.fields)
                out += fmt::format("| `{}` | {} | {} | {} |\n", f.name, fieldTypeName(f.type),
                                   f.required ? "yes" : "no", f.doc);
        }
        if (m.openFields) out += "\nOther fields may follow, depending on the request.\n";
        if (!m.reply.empty()) {
            out += "\nReply body (kind `reply`; every field is listed, none other is sent):\n\n"
                   "| field | type | always | meaning |\n| --- | --- | --- | --- |\n";
            for (const auto& f : m.reply)
                out += fmt::format("| `{}` | {} | {} | {} |\n", f.name, fieldTypeName(f.type),
                                   f.required ? "yes" : "no", f.doc);
        }
    }
    return out;
}

}  // namespace jupiter
