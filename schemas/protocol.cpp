// The client protocol's error table and prose; see protocol.hpp. What it states is what the code
// does: tests/integration/protocol_test.cpp and the conformance file schemas/conformance.json
// check it against real daemons.
#include "schemas/protocol.hpp"

#include <fmt/format.h>

namespace jupiter {

const std::vector<ErrorSpec>& errorCatalog() {
    static const std::vector<ErrorSpec> errors = {
        {"malformed", "any node", "the last frame is not a msgpack map, or an envelope field is missing or of the wrong type (`field` names it)", "fix the request; resending it unchanged gets the same answer"},
        {"bad_version", "any node", "envelope `v` is not 1 (`field`: `v`)", "speak schema version 1"},
        {"unknown_message", "any node", "an unknown `kind`, or a `name` the node does not take (a gateway takes commands, queries and ping)", "see the catalogue below"},
        {"bad_field", "gateway, command node, query node", "a body field missing, of the wrong type, too long, empty, out of range or unknown; an empty request id; an envelope `client` sent by a client (`field` names it)", "fix the request"},
        {"too_large", "any node", "the request is over 64 KiB (and at most 128 KiB: larger ones close the connection unanswered)", "send less: no request needs more than a few KiB"},
        {"forbidden", "any node", "the key's role may not make this request (the message names the roles that may), or the key was revoked (`no longer registered`)", "use a key of the right role"},
        {"not_found", "command node, query node", "the entity the request names does not exist (`field` names the id field)", "final for this id"},
        {"rejected", "command node", "a business rule refused the command: a taken document number, code or invoice; stock too low; a product with sales (`field` names the field)", "final; change the command"},
        {"id_reused", "command node", "this client already used this request id for a different command (another name or body); the message names the first", "use a new id for a new command; the id still answers for its first command"},
        {"ahead_of_head", "query node (passed on by the gateway)", "`min_seq` is beyond every sequence the leading command node has committed (the message names the head)", "final: min_seq must come from a command's reply"},
        {"behind", "query node (passed on by the gateway once every live replica said so)", "the replica has not applied `min_seq` within 1 s, or is installing a copy of the state", "retry later, same request"},
        {"timeout", "gateway", "no replica (queries) or command node (commands) answered within 10 s in all", "resend with the same id: a command is applied at most once"},
        {"unavailable", "gateway, broker, command node, query node", "no replica or command node can take the request now (none live, an election under way, a standby asked); or every live replica is stuck at an event it cannot apply (the message names the sequence), or a query node asked directly is stuck before the query's `min_seq`", "resend later with the same id"},
        {"cut_off", "gateway", "the gateway hears no broker, so it cannot pass commands on", "resend the same request to another gateway"},
        {"internal", "query node, command node", "the node failed to answer (a bug); the gateway tries another replica first", "resend; report it"},
        {"too_far_behind", "command node (to a standby)", "a standby asked for entries the leader no longer holds", "(not sent to clients)"},
        {"diverged", "command node (to a standby)", "a fetch's `last_digest` is not the leader's digest after that entry: the standby does not hold what it claims, so nothing is acknowledged", "(not sent to clients)"},
        {"snapshot_gone", "command node (to a replica)", "a state copy being read was given up", "(not sent to clients)"},
    };
    return errors;
}

bool knownErrorCode(std::string_view code) {
    for (const auto& e : errorCatalog())
        if (e.code == code) return true;
    return false;
}

namespace {

constexpr std::string_view kText = R"(## Writing a client

This section is the whole contract a client needs; the message catalogue follows it.

### Sockets and frames

A client talks to a **gateway** (`[[node]]` entries of role `gateway` in `jupiter.toml`, by default
`tcp://127.0.0.1:7720` and `:7721` for base port 7700). A gateway binds a ZeroMQ **ROUTER**. Each
request is one ZeroMQ message whose **last frame is the envelope** (a msgpack map, below); every frame
before it is echoed back unchanged, in order, in front of the reply. So:

- a **DEALER** sends `[envelope]` and receives `[reply]`;
- a **REQ** sends `[envelope]` (libzmq adds the empty delimiter) and receives `[reply]`, one request at a
  time;
- a **ROUTER** (to keep one socket for several gateways, as the official clients do) must give each
  connection a routing id it chooses, by setting `ZMQ_CONNECT_ROUTING_ID` before each `connect`; the
  official clients use the endpoint string itself. It then sends `[endpoint, envelope]` and receives
  `[endpoint, reply]`. Without `ZMQ_CONNECT_ROUTING_ID` a ROUTER cannot address a server it connected to.

Replies come in the order the gateway gets them, not the order of the requests: match them by `id`.
Any number of requests may be in flight on one connection.

### The envelope

A msgpack map with string keys; the table under "Jupiter messages" lists its fields. A client sets
`v` (1), `kind` (`command`, `query`, or `control` for `ping`), `name`, `id` and `body`, and for a
read-your-writes query `min_seq`. It never sets `client` (the gateway does: refused as `bad_field`,
field `client`); `seq` and `node` in a request are ignored, and so is any other envelope key a node
does not know (and `min_seq` on a command). A reply is an envelope of kind `reply` (body as the
catalogue declares it for that request) or `error` (body `{code, message, field?, duplicate?}`), with
the request's `name` and `id`, and, when known, `seq` (the sequence the answer reflects: every envelope of
kind `reply` has it, and a replica's errors) and `node` (who answered). A resent command whose first outcome was
an error gets that error again, with `duplicate: true`.

**Every request gets exactly one answer**, a reply or an error, also when it cannot be read: an error
echoes the request's `name` and `id` whenever they are readable strings of at most 128 bytes, whatever
else is wrong with it (a bad version, no body, an unknown kind, a body too large); otherwise `name` is
`"?"` and `id` is `""`. An error about one field names it in `field` (a body field such as `quantity`,
or an envelope field such as `min_seq`). The only requests left unanswered are those a node cannot
read at all: a message over 128 KiB (libzmq closes the connection on reading its size) and anything
before a CURVE handshake succeeds.

### Values

- Strings: UTF-8, 1-256 bytes unless a field says otherwise (blank strings are refused); `name` and `id`
  at most 128 bytes.
- Ids of entities: unsigned integers from 1. Quantities: integers > 0 (a stock entry at most 10^9).
- Money: requests give `price` as a number in currency units (at most 10^10, rounded to cents);
  replies give every amount as an **integer number of cents** (`*_cents`).
- Times: `at`, `from`, `to` are integers, **milliseconds since the Unix epoch, UTC**.
- Unknown body fields are refused (`bad_field` naming the field); a field of the wrong msgpack type
  too (an unsigned integer field takes a non-negative integer; a number field an integer or a float).
- List queries return at most `limit` rows (default 100, at most 1000) in `items`, by id ascending,
  and `next_after` when more follow: send it as `after` for the next page. `product.get` pages its
  stock `entries` the same way (by `entry`), so no answer grows with the history.

### Request ids, resends and read-your-writes

- An `id` is 1-128 bytes, chosen by the client; an empty id is refused (`bad_field`, field `id`).
- **Ids belong to their client.** A command node remembers the outcome of each command by the
  sender's identity (the CURVE public key the gateway authenticated; with `mode = "none"` every client
  is the same one, `local`) and the id, for the last 100,000 commands it decided. A resend of the same
  command with the same id gets the first outcome again, with `duplicate: true`, and is not applied
  twice, through whichever gateway it goes. The same id with a different command (another name, or
  another body) is refused as `id_reused`. Other clients' ids never collide with yours. Several
  processes that share one key (the admin key) must use random ids: the official clients use 128
  random bits in hex with a prefix.
- **Resend rule:** a command that got no answer, `timeout`, `unavailable` or `cut_off` may be resent
  with the same id, to any gateway, any number of times: it is applied at most once. Never reuse an id
  for a new command.
- **Read your writes:** a command's reply carries `seq` (also the envelope's `seq`). A query sent with
  `min_seq` = that value is answered only from a replica that has applied it: one that has not waits
  up to 1 s, then says `behind` and the gateway asks the next live replica; when each has said so the
  client gets `behind`. A `min_seq` beyond what the leading command node has committed is answered
  `ahead_of_head` at once (a replica asks the leader what it has committed: a round trip), naming
  the head; while no leader answers (a failover), such a query waits like any other. A `min_seq` never makes a replica fetch, install or wait for anything but that query.
- A query without `min_seq` is answered by the replica in use at whatever it has applied, which may
  be a few milliseconds behind a write just acknowledged: send `min_seq` to read your own writes.
- Queries have no side effects: resend them freely, with the same id or a new one.

### Keys and handshakes (CURVE)

With `[security] mode = "curve"` (the default) every connection is CurveZMQ:

- the client's key pair: a zcert secret file written by `jupiter client add NAME --role reader|writer|admin`
  (`DIR/keys/NAME.key_secret`, ZPL text: `curve` section, `public-key` and `secret-key` in Z85);
- the server's public key: each node has its own, `DIR/keys/NODE.key` (`public-key` in Z85). Pin each
  gateway's key on its connection (`ZMQ_CURVE_SERVERKEY` before each `connect`).

Roles: `reader` may query, `writer` may also send commands, `admin` may do everything (replicas
directly, digests, replay). How each refusal looks on the wire:

- **A key the cluster does not know (or a revoked one, at the next connection):** the server's ZAP
  handler answers status 400 and the handshake fails; nothing is ever received on that connection. A
  client sees it only through a socket monitor: `ZMQ_EVENT_HANDSHAKE_FAILED_AUTH` (the official clients
  raise `KeyRefused` at once). libzmq reconnects and is refused again.
- **A revoked key on a connection already open:** each request is answered `forbidden` (message: `no
  longer registered`).
- **A role that may not make the request:** answered `forbidden`, naming the roles that may.
- **A wrongly pinned server key, or a client without CURVE against a CURVE server:** no event the client
  can tell from a slow server: requests time out. Check the key file and the mode.

With `mode = "none"` (loopback only) there are no keys; every client may do everything.

### Failover and timings (defaults)

- A gateway answers each request within 10 s (`client_timeout_ms`), usually far sooner; it moves a
  query to another replica after an adaptive per-attempt timeout (250 ms at most, `query_timeout_ms`)
  and resends a command every 1.5 s (`command_timeout_ms`).
- Nodes publish heartbeats every 100 ms; a node silent for 3 intervals is DOWN for the gateways.
- A client with several gateways (the official clients, `FailoverClient`): stick to one; when its
  connection drops (socket monitor `ZMQ_EVENT_DISCONNECTED`) or is refused (`ZMQ_EVENT_CONNECT_RETRIED`:
  that gateway is not running, so a one-shot client does not wait for it), when it has said nothing
  for 200 ms while a request waits and then does not answer a `ping` within 200 ms, or when it answers
  `cut_off`, resend every waiting request with the same id to the next gateway. A ping is `{kind: control, name: ping, body: {}}`, answered by kind
  `control`, name `pong`, body `{node, pid, seq, refused}`.

### A walk-through

1. Read `jupiter.toml`: the gateways' `endpoint`s. With CURVE, load your `NAME.key_secret` and each
   gateway's `NODE.key` from the keys folder.
2. Open a DEALER (or one ROUTER with `ZMQ_CONNECT_ROUTING_ID` = endpoint) to the first gateway, pinning
   its public key; watch it with a socket monitor for `HANDSHAKE_FAILED_AUTH` and `DISCONNECTED`.
3. Send `{v: 1, kind: "command", name: "product.create", id: "c-<random hex>", body: {code: "P1",
   description: "Pen", price: 1.5}}`; the reply `{kind: "reply", id: <same>, seq: 1, body: {id: 1,
   seq: 1, first_seq: 1, events: 1}}`.
4. Query `{v: 1, kind: "query", name: "product.get", id: "q-<random hex>", min_seq: 1, body: {id: 1}}`:
   `{kind: "reply", body: {id: 1, code: "P1", description: "Pen", price_cents: 150, stock: 0,
   value_cents: 0, entries: []}}`.
5. On no answer, resend the same bytes (same id) to the next gateway as the failover rules say; on an
   error, read `body.code` (table below) and `body.field`.

The official clients: C++ (`client/failover_client.hpp`, in the source tree) and Python
(`clients/python`, package `jupiter_client`). Both run the conformance file
`schemas/conformance.json` (requests and the replies they must get, every refusal above included)
against a real cluster in the test suite.
)";

}  // namespace

std::string protocolMarkdown() {
    std::string out(kText);
    out += "\n### Error codes\n\n| code | sent by | when | what the client does |\n| --- | --- | --- | --- |\n";
    for (const auto& e : errorCatalog()) out += fmt::format("| `{}` | {} | {} | {} |\n", e.code, e.sentBy, e.when, e.then);
    return out;
}

}  // namespace jupiter
