// CLI: `field=value` words become a body typed by the schema catalogue, and bad words are refused
// with a message listing what is accepted.
#include <doctest/doctest.h>

#include "cli/assignments.hpp"
#include "tests/text.hpp"

using namespace jupiter;
using jupiter::testing::contains;
using jupiter::cli::parseAssignments;

TEST_CASE("cli: assignments are converted to the declared field types") {
    auto sale = parseAssignments(Kind::Command, "sale.create",
                                 {"seller=2", "product=7", "quantity=3", "client=Luz Díaz", "invoice=F-001"});
    REQUIRE(sale.ok());
    CHECK(sale->at("seller").is_number_unsigned());
    CHECK(sale->at("seller") == 2);
    CHECK(sale->at("quantity").is_number_integer());
    CHECK(sale->at("quantity") == 3);
    CHECK(sale->at("client") == "Luz Díaz");
    CHECK(sale->at("invoice") == "F-001");

    auto product = parseAssignments(Kind::Command, "product.create", {"code=P1", "description=a=b", "price=12.5"});
    REQUIRE(product.ok());
    CHECK(product->at("price").is_number_float());
    CHECK(product->at("price") == doctest::Approx(12.5));
    CHECK(product->at("description") == "a=b");  // only the first '=' separates

    auto update = parseAssignments(Kind::Command, "sale.update", {"id=4", "quantity=-2"});
    REQUIRE(update.ok());
    CHECK(update->at("quantity") == -2);

    auto list = parseAssignments(Kind::Query, "sales.list", {"from=1700000000000", "limit=20"});
    REQUIRE(list.ok());
    CHECK(list->at("from") == int64_t{1700000000000});
    auto empty = parseAssignments(Kind::Query, "inventory.value", {});
    REQUIRE(empty.ok());
    CHECK(empty->is_object());
    CHECK(empty->empty());
}

TEST_CASE("cli: unknown messages and fields are refused listing what is accepted") {
    auto unknown = parseAssignments(Kind::Command, "seller.fire", {});
    REQUIRE(!unknown.ok());
    CHECK(unknown.error().code == "usage");
    CHECK(contains(unknown.error().message, "unknown command 'seller.fire'"));
    CHECK(contains(unknown.error().message, "seller.create"));
    // A query name is not a command.
    CHECK(!parseAssignments(Kind::Command, "sales.list", {}).ok());

    auto field = parseAssignments(Kind::Command, "seller.delete", {"id=1", "reason=x"});
    REQUIRE(!field.ok());
    CHECK(contains(field.error().message, "unknown field 'reason'"));
    CHECK(contains(field.error().message, "id (unsigned integer, required)"));

    auto noEquals = parseAssignments(Kind::Command, "seller.delete", {"id"});
    REQUIRE(!noEquals.ok());
    CHECK(contains(noEquals.error().message, "'id' is not of the form field=value"));
    CHECK(!parseAssignments(Kind::Command, "seller.delete", {"=1"}).ok());

    auto twice = parseAssignments(Kind::Command, "seller.delete", {"id=1", "id=2"});
    REQUIRE(!twice.ok());
    CHECK(contains(twice.error().message, "given twice"));
}

TEST_CASE("cli: values that do not fit the field's type are refused") {
    auto refused = [](Kind kind, const char* name, std::vector<std::string> args) {
        auto r = parseAssignments(kind, name, args);
        return r.ok() ? std::string() : r.error().message;
    };
    CHECK(contains(refused(Kind::Command, "seller.delete", {"id=-1"}), "field 'id' must be a whole number >= 0, got '-1'"));
    CHECK(contains(refused(Kind::Command, "seller.delete", {"id=1.5"}), "field 'id'"));
    CHECK(contains(refused(Kind::Command, "seller.delete", {"id=12abc"}), "got '12abc'"));
    CHECK(contains(refused(Kind::Command, "seller.delete", {"id="}), "field 'id'"));
    CHECK(contains(refused(Kind::Command, "seller.delete", {"id=99999999999999999999999"}), "field 'id'"));
    CHECK(contains(refused(Kind::Command, "sale.update", {"id=1", "quantity=3.0"}), "must be a whole number"));
    CHECK(contains(refused(Kind::Command, "product.update", {"id=1", "price=abc"}), "a number like 12.50"));
    CHECK(contains(refused(Kind::Command, "product.update", {"id=1", "price=nan"}), "a number like 12.50"));
    CHECK(contains(refused(Kind::Command, "product.update", {"id=1", "price=inf"}), "a number like 12.50"));
    CHECK(contains(refused(Kind::Command, "product.update", {"id=1", "price=1,5"}), "got '1,5'"));
}

TEST_CASE("cli: a missing required field is caught before sending") {
    auto r = parseAssignments(Kind::Command, "seller.create", {"first_name=Ana"});
    REQUIRE(!r.ok());
    CHECK(r.error().code == "usage");
    CHECK(contains(r.error().message, "needs field 'last_name'"));
    CHECK(contains(r.error().message, "seller.create accepts: first_name (string, required)"));
}
