// The catalogue of every message Jupiter exchanges: name, kind, and the fields of its body with
// their types. This is the single declaration that decoders validate against and that
// schemas/README.md documents (tests keep the two in step).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "common/doc.hpp"
#include "common/result.hpp"
#include "schemas/envelope.hpp"

namespace jupiter {

enum class FieldType { String, UInt, Int, Number, Bool, Map, Array, Any };

std::string_view fieldTypeName(FieldType t);

struct FieldSpec {
    std::string_view name;
    FieldType type;
    bool required;
    std::string_view doc;
    std::size_t maxLen = 256;  // strings only
};

struct MessageSpec {
    Kind kind;
    std::string_view name;
    std::string_view doc;
    std::vector<FieldSpec> fields;
    bool openFields = false;  // replies/events that may carry fields beyond those listed
    // Commands and queries: the body of their reply (kind reply), every field declared.
    std::vector<FieldSpec> reply = {};
};

const std::vector<MessageSpec>& messageCatalog();

// The spec for (kind, name), or nullptr if Jupiter has no such message.
const MessageSpec* findMessage(Kind kind, std::string_view name);
// `name` as a metric label: itself when the catalogue has it, else "unknown" (a client may send any
// string, and a label's values must stay few).
std::string metricNameLabel(Kind kind, const std::string& name);

// Checks `body` against `spec`: required fields present, every field of the declared type, no
// unknown fields. The error names the field, e.g. "field 'quantity' must be an integer, got string".
Status validateBody(const MessageSpec& spec, const Doc& body);
// Checks the body of a reply to a request of `spec` against spec.reply, as strictly.
Status validateReply(const MessageSpec& spec, const Doc& body);

// The catalogue rendered as Markdown tables (the body of schemas/README.md).
std::string catalogMarkdown();

}  // namespace jupiter
