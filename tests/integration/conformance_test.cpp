// The conformance file schemas/conformance.json against real daemons: every request in it gets the
// reply it names. The Python client runs the same file (clients/python/tests/test_conformance.py).
#include <doctest/doctest.h>

#include <fstream>

#include "cluster.hpp"
#include "common/zmq_util.hpp"
#include "schemas/catalog.hpp"

// Every case here is a scenario (in every CI run) unless it says soak (scripts/soak.sh).
TEST_SUITE_BEGIN("scenario");

using namespace jupiter;
using namespace jupiter::testing;

namespace {

std::string fromHex(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

}  // namespace

TEST_CASE("conformance: every request of schemas/conformance.json gets the reply it names") {
    std::ifstream in(std::string(JUPITER_SOURCE_DIR) + "/schemas/conformance.json");
    REQUIRE(in);
    const Doc spec = Doc::parse(in);
    REQUIRE(spec["cases"].size() > 20);
    Cluster c;
    Client raw(c.ctx(), c.credentials(), c.endpoint(c.first(Role::Gateway)));
    for (const auto& k : spec["cases"]) {
        INFO(k["name"].get<std::string>());
        std::string bytes;
        if (k.contains("raw_hex")) {
            bytes = fromHex(k["raw_hex"].get<std::string>());
        } else {
            Doc req = k["request"];
            if (k.contains("pad"))
                req["body"][k["pad"]["field"].get<std::string>()] = std::string(k["pad"]["bytes"].get<std::size_t>(), 'x');
            bytes = packDoc(req);
        }
        REQUIRE(raw.sendRaw(bytes));
        auto reply = raw.receiveRaw(Millis(5000));
        REQUIRE(reply);
        auto env = decodeEnvelopeHeader(*reply);
        REQUIRE(env.ok());
        INFO(env->body.dump());
        const Doc& want = k["expect"];
        CHECK(kindName(env->kind) == want["kind"].get<std::string>());
        if (want.contains("id")) CHECK(env->id == want["id"].get<std::string>());
        if (want.contains("name")) CHECK(env->name == want["name"].get<std::string>());
        if (want.contains("code")) CHECK(env->body.value("code", "") == want["code"].get<std::string>());
        if (want["kind"] == "error") CHECK(env->body.value("field", "") == want.value("field", ""));
        if (want.contains("body"))
            for (const auto& [field, value] : want["body"].items()) CHECK(env->body[field] == value);
        // A reply's body is exactly what the catalogue declares for its request.
        if (env->kind == Kind::Reply) {
            const MessageSpec* m = findMessage(*parseKind(k["request"]["kind"].get<std::string>()), env->name);
            REQUIRE(m);
            auto valid = validateReply(*m, env->body);
            CHECK_MESSAGE(valid.ok(), (valid.ok() ? "" : valid.error().message));
        }
    }
}

TEST_SUITE_END();
