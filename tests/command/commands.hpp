// Commands as the command node receives them, for its unit tests.
#pragma once

#include <string>

#include "schemas/envelope.hpp"

namespace jupiter::testing {

// product.create with request id `rid` for a product with code `code`.
inline Envelope productCreate(const std::string& rid, const std::string& code) {
    Envelope e;
    e.kind = Kind::Command;
    e.name = "product.create";
    e.id = rid;
    e.body = {{"code", code}, {"description", "d"}, {"price", 2.5}};
    return e;
}

}  // namespace jupiter::testing
