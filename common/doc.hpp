// The in-memory form of every message body and stored record (a JSON-like tree), and its msgpack
// wire encoding. Decoding is defensive: it bounds size, depth and container lengths and never
// throws on bad bytes; callers get a Result naming what was wrong.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.hpp"

namespace jupiter {

using Doc = nlohmann::json;

// Largest message any Jupiter socket accepts (its ZMQ_MAXMSGSIZE) from a peer it dialled itself:
// replies, replays, copies of the state.
inline constexpr std::size_t kMaxMessageBytes = 4u << 20;
// Largest request a node takes (a command's body is a few KiB at most). What any peer may send a
// bound socket is kept small because libzmq buffers a frame as it arrives, handshake frames too:
// before authentication, a stranger's connection can hold at most the socket's ZMQ_MAXMSGSIZE.
inline constexpr std::size_t kMaxRequestBytes = 64u << 10;
// Largest request a node's request endpoint reads (its ZMQ_MAXMSGSIZE): one over kMaxRequestBytes
// but within this is read and answered `too_large`; a larger one cannot be answered (libzmq closes
// the connection on reading its size, before any of it is buffered).
inline constexpr std::size_t kMaxRequestReadBytes = 2 * kMaxRequestBytes;
// Largest message a broker's events_in reads: publishers keep event batches under half of it.
inline constexpr std::size_t kMaxBusMessageBytes = 256u << 10;
inline constexpr std::size_t kEventBatchBytes = kMaxBusMessageBytes / 2;
// Largest frame a broker's events_out reads: a subscription (1 + a topic: ev, tr, hb.<node>) in
// CURVE's box, and the CURVE handshake's own commands (INITIATE with its metadata: a few hundred).
inline constexpr std::size_t kMaxSubscriptionBytes = 1024;

// Packs a Doc into msgpack. Maps become msgpack maps with string keys.
std::string packDoc(const Doc& doc);
void packDocTo(std::string& out, const Doc& doc);
// Appends a msgpack map or array header for `n` entries (for messages assembled from parts that
// are already packed, such as stored events).
void packMapHeader(std::string& out, uint32_t n);
void packArrayHeader(std::string& out, uint32_t n);
// Appends one msgpack string (any bytes), integer or boolean.
void packStr(std::string& out, std::string_view s);
void packU64(std::string& out, uint64_t n);
void packI64(std::string& out, int64_t n);
void packBool(std::string& out, bool b);

// Unpacks msgpack bytes into a Doc; refuses trailing bytes, non-string map keys, binary/ext values,
// nesting deeper than 16 and inputs larger than kMaxMessageBytes.
Result<Doc> unpackDoc(std::string_view bytes);

}  // namespace jupiter
