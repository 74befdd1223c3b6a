// The read side's answers: every query of the catalogue, computed from a view of the state that
// applyEvent() (projection.hpp) maintains. Rows are flat maps so that clients can render tables.
#pragma once

#include <string_view>

#include "common/doc.hpp"
#include "common/result.hpp"
#include "store/txn.hpp"

namespace jupiter {

// Answers query `name` (body already schema-checked) from `view`. Errors: "not_found" for a missing
// id, "bad_field" for a limit of 0 or above 1000, "unknown_message" for a name that is no query.
// Lists are ordered by id and paged: at most `limit` rows with id > `after`, and "next_after" (the
// last id returned) only when more rows follow; product.get pages its stock entries the same way.
Result<Doc> runQuery(std::string_view name, const Doc& body, ReadView& view);

}  // namespace jupiter
