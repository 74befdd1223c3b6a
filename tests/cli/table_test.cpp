// CLI: money, dates and tables as the terminal shows them.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>

#include "cli/table.hpp"

using namespace jupiter;
using namespace jupiter::cli;

TEST_CASE("cli: amounts in cents are shown as money") {
    CHECK(formatMoney(Doc(1250)) == "12.50");
    CHECK(formatMoney(Doc(0)) == "0.00");
    CHECK(formatMoney(Doc(7)) == "0.07");
    CHECK(formatMoney(Doc(-5)) == "-0.05");
    CHECK(formatMoney(Doc(-1250)) == "-12.50");
    CHECK(formatMoney(Doc(uint64_t{18446744073709551615u})) == "184467440737095516.15");
    CHECK(formatMoney(Doc(std::numeric_limits<int64_t>::min())) == "-92233720368547758.08");
    CHECK(formatMoney(Doc(1.5e20)) == "1500000000000000000.00");
    CHECK(formatMoney(Doc("x")) == "\"x\"");
}

TEST_CASE("cli: cells follow the key's meaning") {
    CHECK(columnHeader("price_cents") == "price");
    CHECK(columnHeader("unit_price_cents") == "unit_price");
    CHECK(columnHeader("_cents") == "_cents");
    CHECK(columnHeader("quantity") == "quantity");
    CHECK(formatCell("total_cents", Doc(450)) == "4.50");
    CHECK(formatCell("at", Doc(int64_t{1700000000123})) == "2023-11-14T22:13:20.123Z");
    CHECK(formatCell("at", Doc(-1)) == "-1");
    CHECK(formatCell("client", Doc("Luz")) == "Luz");
    CHECK(formatCell("x", Doc()) == "");
    CHECK(formatCell("flag", Doc(true)) == "true");
    CHECK(formatCell("tags", Doc::array({1, 2})) == "[1,2]");
}

TEST_CASE("cli: columns put identity first - money after plain fields - the date last") {
    const Doc rows = Doc::parse(R"([{"at": 1, "total_cents": 2, "quantity": 3, "zeta": 4, "id": 5, "client": "c",
                                     "entries": [{"a": 1}]}, {"extra": 1}])");
    CHECK(columnsOf(rows) == std::vector<std::string>{"id", "client", "quantity", "extra", "zeta", "total_cents", "at"});
    CHECK(columnsOf(Doc::array()).empty());
    CHECK(columnsOf(Doc("not rows")).empty());
}

TEST_CASE("cli: tables align text left and numbers right") {
    const Doc rows = Doc::parse(R"([{"id": 1, "last_name": "Núñez", "price_cents": 150},
                                     {"id": 12, "last_name": "Paz", "price_cents": 100000}])");
    CHECK(renderTable(rows) ==
          "id  last_name    price\n"
          "--  ---------  -------\n"
          " 1  Núñez         1.50\n"
          "12  Paz        1000.00\n");
    // Explicit columns, a missing cell, and "-" standing for no value in a numeric column.
    const Doc sparse = Doc::parse(R"([{"node": "broker", "pid": 42}, {"node": "monitor", "pid": "-"}, {"pid": 7}])");
    CHECK(renderTable(sparse, {"node", "pid"}) ==
          "node     pid\n"
          "-------  ---\n"
          "broker    42\n"
          "monitor    -\n"
          "           7\n");
    CHECK(renderTable(Doc::array()) == "(no rows)\n");
    CHECK(renderTable(Doc::object()) == "(no rows)\n");
}
