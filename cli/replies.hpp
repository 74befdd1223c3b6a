// How the CLI shows what the cluster answered: one line per command, tables per query, the status
// table, and the JSON form used by --json. Pure functions of the reply, so they are unit-tested.
#pragma once

#include <string>

#include "common/doc.hpp"
#include "schemas/envelope.hpp"

namespace jupiter::cli {

// The envelope as one JSON document: {kind, name, id, body, seq, node} (seq and node null when absent).
Doc envelopeJson(const Envelope& e);

// "ok  seller.create  id=3  seq=17" (plus "  duplicate" when the gateway saw the id before).
std::string renderCommandReply(const Envelope& reply);

// "rejected  seller.create: <message> [<code>]" for a command the cluster refused; "failed  ..." for
// one it could not process (codes unavailable, timeout, internal) and for queries and control requests.
std::string renderErrorReply(const Envelope& error);

// A query's answer: the rows of `items` (or the single object as a one-row table, then each of its
// nested lists as a titled table), a hint when more rows follow, and the footer
// "served by query-2 at seq 120".
std::string renderQueryReply(const Envelope& reply);

// The monitor's status body as a table (node, role, state, pid, hb age, seq, lag, ping rtt) and the
// lines "gateway route: query-1" and "command head: 120".
std::string renderStatus(const Doc& body);

// "0.4 ms" from microseconds; "-" when the value is absent or 0 (no ping answered yet).
std::string formatRtt(const Doc& rttUs);

}  // namespace jupiter::cli
