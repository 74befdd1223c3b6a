// Envelope and catalogue: round trips and refusal of bad input.
#include <doctest/doctest.h>

#include <random>

#include <fmt/format.h>

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

#include <fstream>
#include <sstream>

#include "common/doc.hpp"

namespace {

Envelope sampleCommand() {
    Envelope e;
    e.kind = Kind::Command;
    e.name = "sale.create";
    e.id = "r-2";
    e.body = {{"seller", 1}, {"product", 2}, {"quantity", 3}, {"client", "Luz"}, {"invoice", "F-1"}};
    return e;
}

}  // namespace

TEST_CASE("every message in the catalogue round-trips through the codec") {
    for (const auto& spec : messageCatalog()) {
        Envelope e;
        e.kind = spec.kind;
        e.name = spec.name == "*" ? "anything" : std::string(spec.name);
        e.id = "id";
        for (const auto& f : spec.fields) {
            if (!f.required) continue;
            switch (f.type) {
                case FieldType::String: e.body[std::string(f.name)] = "x"; break;
                case FieldType::UInt: e.body[std::string(f.name)] = 7u; break;
                case FieldType::Int: e.body[std::string(f.name)] = -7; break;
                case FieldType::Number: e.body[std::string(f.name)] = 1.5; break;
                case FieldType::Bool: e.body[std::string(f.name)] = true; break;
                case FieldType::Map: e.body[std::string(f.name)] = Doc::object(); break;
                case FieldType::Array: e.body[std::string(f.name)] = Doc::array({1, "a"}); break;
                case FieldType::Any: e.body[std::string(f.name)] = nullptr; break;
            }
        }
        auto back = decodeEnvelope(encodeEnvelope(e));
        INFO(spec.name);
        REQUIRE(back.ok());
        CHECK(back->body == e.body);
        CHECK(back->name == e.name);
    }
}

TEST_CASE("the decoder names what is wrong") {
    auto bad = [](Doc d) { return decodeEnvelope(packDoc(d)); };
    Doc good = {{"v", 1}, {"kind", "command"}, {"name", "sale.create"}, {"id", "x"},
                {"body", sampleCommand().body}};
    CHECK(bad(good).ok());

    Doc v2 = good;
    v2["v"] = 2;
    CHECK(bad(v2).error().code == "bad_version");

    Doc unknown = good;
    unknown["name"] = "sale.explode";
    CHECK(bad(unknown).error().code == "unknown_message");
    CHECK(bad(unknown).error().message.find("sale.explode") != std::string::npos);

    Doc wrongType = good;
    wrongType["body"]["quantity"] = "three";
    auto r = bad(wrongType);
    CHECK(r.error().code == "bad_field");
    CHECK(r.error().message == "field 'quantity' of 'sale.create' must be of type integer, got string");

    Doc missing = good;
    missing["body"].erase("invoice");
    CHECK(bad(missing).error().message.find("'invoice'") != std::string::npos);

    Doc extra = good;
    extra["body"]["discount"] = 5;
    CHECK(bad(extra).error().message.find("no field 'discount'") != std::string::npos);

    Doc negative = good;
    negative["body"]["seller"] = -1;
    CHECK(bad(negative).error().code == "bad_field");

    Doc noKind = good;
    noKind.erase("kind");
    CHECK(bad(noKind).error().code == "malformed");

    CHECK(decodeEnvelope(packDoc(Doc::array({1, 2}))).error().code == "malformed");
}

TEST_CASE("the decoder refuses truncated bytes - trailing bytes and oversized input") {
    const std::string bytes = encodeEnvelope(sampleCommand());
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        auto r = decodeEnvelope(std::string_view(bytes).substr(0, n));
        CHECK_FALSE(r.ok());
    }
    CHECK_FALSE(decodeEnvelope(bytes + "x").ok());
    std::string huge(kMaxMessageBytes + 1, 'a');
    CHECK(decodeEnvelope(huge).error().code == "too_large");
}

TEST_CASE("the decoder survives thousands of random and mutated inputs") {
    std::mt19937_64 rng(12345);
    const std::string valid = encodeEnvelope(sampleCommand());
    int accepted = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string input;
        if (i % 2 == 0) {
            input.resize(rng() % 64);
            for (auto& c : input) c = static_cast<char>(rng());
        } else {
            input = valid;
            const int flips = 1 + static_cast<int>(rng() % 4);
            for (int k = 0; k < flips; ++k) input[rng() % input.size()] = static_cast<char>(rng());
        }
        auto r = decodeEnvelope(input);  // must not crash, throw or hang
        if (r.ok()) {
            ++accepted;
            CHECK(r->kind == Kind::Command);
        } else {
            CHECK_FALSE(r.error().code.empty());
            CHECK_FALSE(r.error().message.empty());
        }
    }
    CHECK(accepted < 20000);
}

TEST_CASE("deep nesting and huge declared lengths are refused without allocating") {
    std::string deep(40, '\x91');  // fixarray of one element, 40 deep
    deep += '\xc0';
    CHECK_FALSE(unpackDoc(deep).ok());
    const std::string hugeArray = "\xdd\xff\xff\xff\xff";  // array32 claiming 4 billion items
    CHECK_FALSE(unpackDoc(hugeArray).ok());
    const std::string hugeString = std::string("\xdb\xff\xff\xff\xf0", 5) + "abc";
    CHECK_FALSE(unpackDoc(hugeString).ok());
}

TEST_CASE("schemas/README.md documents exactly the catalogue") {
    std::ifstream in(JUPITER_SOURCE_DIR "/schemas/README.md");
    REQUIRE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string generated = catalogMarkdown();
    INFO("regenerate with: build/bin/jupiter-schemas > schemas/README.md");
    CHECK(ss.str().find(generated) != std::string::npos);
}

TEST_CASE("peekEnvelope reads kind - id - node and an error's code - and refuses what decode refuses") {
    Envelope e = makeErrorReply("sale.get", "q-9", makeError("behind", "later"));
    e.node = "query-2";
    auto p = peekEnvelope(encodeEnvelope(e));
    REQUIRE(p);
    CHECK(p->kind == Kind::Error);
    CHECK(p->id == "q-9");
    CHECK(p->errorCode == "behind");
    CHECK(p->node == "query-2");
    CHECK_FALSE(peekEnvelope("junk"));
    CHECK_FALSE(peekEnvelope(packDoc({{"v", 2}, {"kind", "reply"}, {"id", "x"}, {"body", Doc::object()}})));
    CHECK_FALSE(peekEnvelope(packDoc({{"v", 1}, {"kind", "reply"}, {"id", "x"}})));
    std::mt19937_64 rng(99);
    const std::string valid = encodeEnvelope(e);
    for (int i = 0; i < 5000; ++i) {
        std::string m = valid;
        m[rng() % m.size()] = static_cast<char>(rng());
        (void)peekEnvelope(m);  // never crashes or throws
    }
}

TEST_CASE("a refusal echoes the name and id it can read - whatever else is wrong - and an error names its field") {
    auto refusal = [](const Doc& d) { return makeRefusal(packDoc(d), makeError("x", "y")); };
    Doc v2 = {{"v", 2}, {"kind", "query"}, {"name", "sale.get"}, {"id", "r-1"}, {"body", Doc::object()}};
    CHECK(refusal(v2).id == "r-1");
    CHECK(refusal(v2).name == "sale.get");
    CHECK(refusal({{"kind", 3}, {"id", "r-2"}}).id == "r-2");  // no v, no name, kind of the wrong type
    CHECK(refusal({{"kind", 3}, {"id", "r-2"}}).name == "?");
    CHECK(refusal({{"id", 5}, {"name", "n"}}).id.empty());     // an id that is not a string is not echoed
    CHECK(refusal({{"id", std::string(129, 'i')}}).id.empty()); // nor one over 128 bytes
    // The body comes first in a packed map (keys sorted) and may be over the size limit (a node
    // reads up to kMaxRequestReadBytes to say so).
    Doc big = {{"body", {{"code", std::string(kMaxRequestReadBytes - 100, 'x')}}}, {"id", "r-3"},
               {"name", "product.create"}};
    CHECK(refusal(big).id == "r-3");
    // Cut short after the id: the id was read.
    std::string cut = packDoc({{"id", "r-4"}, {"name", "n"}, {"v", 1}});
    cut.resize(cut.size() - 2);
    CHECK(makeRefusal(cut, makeError("x", "y")).id == "r-4");
    CHECK(makeRefusal("not msgpack", makeError("x", "y")).name == "?");
    // The decoder names the envelope field at fault; the error reply carries it.
    Doc minSeq = {{"v", 1}, {"kind", "query"}, {"name", "sale.get"}, {"id", "r-5"}, {"body", Doc::object()},
                  {"min_seq", "7"}};
    auto bad = decodeEnvelope(packDoc(minSeq));
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().field == "min_seq");
    CHECK(makeRefusal(packDoc(minSeq), bad.error()).body["field"] == "min_seq");
    Doc badBody = {{"v", 1}, {"kind", "command"}, {"name", "seller.create"}, {"id", "r-6"}, {"body", {{"phone", 1}}}};
    CHECK(decodeEnvelope(packDoc(badBody)).error().field == "first_name");
}

TEST_CASE("withClient adds the sender to an envelope without decoding it - and peekEnvelope sees one sent") {
    Envelope e;
    e.kind = Kind::Command;
    e.name = "seller.delete";
    e.id = "c-1";
    e.body = {{"id", 3}};
    const std::string stamped = withClient(encodeEnvelope(e), "KEY-z85");
    auto d = decodeEnvelope(stamped);
    REQUIRE(d.ok());
    CHECK(d->client == "KEY-z85");
    CHECK(d->body == e.body);
    CHECK(peekEnvelope(stamped)->hasClient);
    CHECK_FALSE(peekEnvelope(encodeEnvelope(e))->hasClient);
    // A map of 15 entries (the largest fixmap) becomes a map 16.
    Doc wide = {{"v", 1}, {"kind", "query"}, {"name", "x"}, {"id", "i"}, {"body", Doc::object()}};
    for (int i = 0; i < 10; ++i) wide[fmt::format("extra{}", i)] = i;
    auto w = unpackDoc(withClient(packDoc(wide), "k"));
    REQUIRE(w.ok());
    CHECK(w->size() == 16);
    CHECK((*w)["client"] == "k");
}
