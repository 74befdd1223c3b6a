// Command fields with the domain's value rules (non-blank text, the document type enum, positive
// quantities) and the domain's error replies. Bodies are schema-checked before they get here, so
// these only judge values, and name the field in every message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/doc.hpp"
#include "common/result.hpp"

namespace jupiter {

// The document types a seller may have.
bool isDocType(std::string_view v);

// Copies text field `field` of `body` into `out` when present; "bad_field" when it is blank or,
// with `required`, absent.
Status takeText(const Doc& body, std::string_view field, std::string& out, bool required);
// Same, and the value must be one of the document types.
Status takeDocType(const Doc& body, std::string_view field, std::string& out, bool required);
// Copies integer field `field` into `out` when present; "bad_field" unless 0 < value <= max.
Status takeQuantity(const Doc& body, std::string_view field, int64_t& out, int64_t max, bool required);
// Copies unsigned id field `field` into `out` when present.
void takeId(const Doc& body, std::string_view field, uint64_t& out);

Error badField(std::string_view field, std::string_view problem);
// `field`: the request's field that named the missing entity or that the rule refused (errors carry it).
Error notFound(std::string_view entity, uint64_t id, std::string_view field);
Error rejected(std::string message, std::string_view field = {});

}  // namespace jupiter
