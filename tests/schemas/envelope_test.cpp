// Envelope and catalogue: round trips and refusal of bad input.
#include <doctest/doctest.h>

#include <random>

#include "schemas/catalog.hpp"
#include "schemas/envelope.hpp"

using namespace jupiter;

TEST_CASE("an envelope survives a round trip") {
    Envelope e;
    e.kind = Kind::Command;
    e.name = "seller.create";
    e.id = "r-1";
    e.body = {{"first_name", "Ana"}, {"last_name", "Ruiz"}, {"doc_type", "CEDULA"}, {"doc_number", "1020"},
              {"phone", "300"}};
    e.minSeq = 7;
    auto back = decodeEnvelope(encodeEnvelope(e));
    REQUIRE(back.ok());
    CHECK(back->name == "seller.create");
    CHECK(back->id == "r-1");
    CHECK(back->minSeq == 7u);
    CHECK(back->body == e.body);
}
