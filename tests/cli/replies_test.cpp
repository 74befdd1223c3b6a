// CLI: what a command, a query and the status request print, and the --json form.
#include <doctest/doctest.h>

#include "cli/replies.hpp"
#include "tests/text.hpp"

using namespace jupiter;
using jupiter::testing::contains;
using namespace jupiter::cli;

namespace {

Envelope reply(Kind kind, std::string name, Doc body, std::optional<uint64_t> seq = std::nullopt,
               std::optional<std::string> node = std::nullopt) {
    Envelope e;
    e.kind = kind;
    e.name = std::move(name);
    e.id = "cli-1";
    e.body = std::move(body);
    e.seq = seq;
    e.node = std::move(node);
    return e;
}

}  // namespace

TEST_CASE("cli: a command's reply is one line with the new id and the sequence") {
    CHECK(renderCommandReply(reply(Kind::Reply, "seller.create", {{"id", 3}, {"seq", 17}, {"first_seq", 17}})) ==
          "ok  seller.create  id=3  seq=17\n");
    CHECK(renderCommandReply(reply(Kind::Reply, "sale.delete", {{"seq", 20}, {"duplicate", true}})) ==
          "ok  sale.delete  seq=20  duplicate\n");
}

TEST_CASE("cli: errors say rejected for refused commands and failed otherwise") {
    CHECK(renderErrorReply(reply(Kind::Error, "seller.create", {{"code", "rejected"}, {"message", "doc 1020 taken"}})) ==
          "rejected  seller.create: doc 1020 taken [rejected]\n");
    CHECK(renderErrorReply(reply(Kind::Error, "seller.create", {{"code", "unavailable"}, {"message", "no node"}})) ==
          "failed  seller.create: no node [unavailable]\n");
    CHECK(renderErrorReply(reply(Kind::Error, "seller.get", {{"code", "not_found"}, {"message", "no seller 9"}})) ==
          "failed  seller.get: no seller 9 [not_found]\n");
    CHECK(renderErrorReply(reply(Kind::Error, "x", Doc::object())) == "failed  x:  [?]\n");
}

TEST_CASE("cli: a list query prints its rows - a paging hint and who served it") {
    const Doc body = Doc::parse(R"({"items": [{"id": 1, "code": "P1", "price_cents": 150, "stock": 4}],
                                    "next_after": 1})");
    const std::string out = renderQueryReply(reply(Kind::Reply, "products.list", body, 120, "query-2"));
    CHECK(out ==
          "id  code  stock  price\n"
          "--  ----  -----  -----\n"
          " 1  P1        4   1.50\n"
          "(more rows follow: repeat with after=1)\n"
          "served by query-2 at seq 120\n");
    const std::string none =
        renderQueryReply(reply(Kind::Reply, "sales.list", Doc{{"items", Doc::array()}}, 0, "query-1"));
    CHECK(none == "(no rows)\nserved by query-1 at seq 0\n");
}

TEST_CASE("cli: a single-object query prints the object - then each nested list as its own table") {
    const Doc body = Doc::parse(R"({"id": 1, "code": "P1", "stock": 40, "value_cents": 6000,
                                    "entries": [{"entry": 1, "quantity": 40, "at": 1700000000123}]})");
    const std::string tables = "id  code  stock  value\n"
                               "--  ----  -----  -----\n"
                               " 1  P1       40  60.00\n"
                               "\n"
                               "entries:\n"
                               "entry  quantity  at\n"
                               "-----  --------  ------------------------\n"
                               "    1        40  2023-11-14T22:13:20.123Z\n";
    const std::string out = renderQueryReply(reply(Kind::Reply, "product.get", body, 3, "query-1"));
    CHECK(out == tables + "served by query-1 at seq 3\n");
    CHECK(contains(renderQueryReply(reply(Kind::Reply, "inventory.value", {{"total_cents", 5}})), "served by ? at seq ?"));

    // One page of the entries: where the next one starts is said under them, not as a column.
    Doc paged = body;
    paged["next_after"] = 1;
    CHECK(renderQueryReply(reply(Kind::Reply, "product.get", paged, 3, "query-1")) ==
          tables + "(more rows follow: repeat with after=1)\nserved by query-1 at seq 3\n");
}

TEST_CASE("cli: --json prints the whole envelope") {
    const Doc j = envelopeJson(reply(Kind::Reply, "seller.get", {{"first_name", "Ana"}}, 9, "query-3"));
    CHECK(j["kind"] == "reply");
    CHECK(j["name"] == "seller.get");
    CHECK(j["id"] == "cli-1");
    CHECK(j["body"]["first_name"] == "Ana");
    CHECK(j["seq"] == 9);
    CHECK(j["node"] == "query-3");
    const Doc bare = envelopeJson(reply(Kind::Error, "x", Doc::object()));
    CHECK(bare["kind"] == "error");
    CHECK(bare["seq"].is_null());
    CHECK(bare["node"].is_null());
}

TEST_CASE("cli: status shows each node's health - the gateway's route and the head") {
    const Doc body = Doc::parse(R"({"nodes": [
        {"node": "query-1", "role": "query", "state": "UP", "pid": 41, "age_ms": 35, "seq": 118, "lag": 2,
         "rtt_us": 412, "endpoint": "tcp://127.0.0.1:7706", "refused": {"handshakes": 3, "messages": 1}},
        {"node": "query-2", "role": "query", "state": "DOWN", "pid": 0, "age_ms": 0, "seq": 0, "lag": 0,
         "rtt_us": 0, "endpoint": "tcp://127.0.0.1:7707"}],
        "route": "query-1", "head": 120})");
    CHECK(renderStatus(body) ==
          "node     role   state  pid  hb age  seq  lag  ping rtt  refused\n"
          "-------  -----  -----  ---  ------  ---  ---  --------  -------\n"
          "query-1  query  UP      41  35 ms   118    2  0.4 ms    3/1\n"
          "query-2  query  DOWN     -  -         0    0  -         -\n"
          "gateway route: query-1\n"
          "command head: 120\n");
    CHECK(contains(renderStatus(Doc::parse(R"({"nodes": [], "route": "", "head": 0})")), "gateway route: none"));
    CHECK(formatRtt(Doc(25000)) == "25 ms");
    CHECK(formatRtt(Doc()) == "-");
}

TEST_CASE("cli: status marks a replica stuck at an event it cannot apply - and says where and why") {
    const Doc body = Doc::parse(R"({"nodes": [
        {"node": "query-1", "role": "query", "state": "UP", "pid": 41, "age_ms": 35, "seq": 6, "lag": 4,
         "rtt_us": 412, "stuck": "stuck at 7: refused by the test hook refuse_event_seq"}],
        "route": "query-2", "head": 10})");
    const std::string out = renderStatus(body);
    CHECK(contains(out, "query-1  query  STUCK"));
    CHECK(contains(out, "query-1 stuck at 7: refused by the test hook refuse_event_seq: it applies nothing more"));
}
