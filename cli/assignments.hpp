// Turns `key=value` command-line words into a typed message body, using the schema catalogue so
// that `quantity=3` becomes an integer and `price=12.5` a number before anything is sent.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/doc.hpp"
#include "common/result.hpp"
#include "schemas/envelope.hpp"

namespace jupiter::cli {

// Returns the body for message `name` of `kind` built from `args` ("field=value" each). Errors
// (code "usage") name the bad word and list what is accepted: an unknown message lists the
// messages of that kind, an unknown field or an unconvertible value lists the message's fields.
// The finished body is also checked against the schema, so a missing required field is caught
// here rather than by the server.
Result<Doc> parseAssignments(Kind kind, std::string_view name, const std::vector<std::string>& args);

// "first_name (string, required), phone (string)...": the fields of a message, for usage errors.
std::string describeFields(Kind kind, std::string_view name);

// "seller.create, seller.update, ...": the names of every message of `kind`.
std::string messageNames(Kind kind);

}  // namespace jupiter::cli
