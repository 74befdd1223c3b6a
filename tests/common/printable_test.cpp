#include <doctest/doctest.h>

#include "common/printable.hpp"

using jupiter::printable;

TEST_CASE("printable: a peer's string cannot break or flood a log line") {
    CHECK(printable("query-1") == "query-1");
    CHECK(printable("a\nFORGED line") == "a\\x0aFORGED line");
    CHECK(printable("\x1b[31mred") == "\\x1b[31mred");
    CHECK(printable("back\\slash") == "back\\x5cslash");
    CHECK(printable("caf\xc3\xa9") == "caf\\xc3\\xa9");
    CHECK(printable(std::string(100, 'x'), 4) == "xxxx… (100 bytes)");
    CHECK(printable(std::string_view("\0z", 2)) == "\\x00z");
}
