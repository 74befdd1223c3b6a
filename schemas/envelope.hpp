// The envelope every Jupiter message travels in, and its codec. Declared once here; daemons decode
// with decodeEnvelope(), which checks version, kind, name and body shape before anyone acts on it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/doc.hpp"
#include "common/result.hpp"

namespace jupiter {

inline constexpr uint32_t kSchemaVersion = 1;

// What a message is for; the wire carries the lower-case name (kindName()).
enum class Kind { Command, Query, Reply, Error, Events, Heartbeat, Transition, Control };

std::string_view kindName(Kind k);
std::optional<Kind> parseKind(std::string_view s);

struct Envelope {
    uint32_t version = kSchemaVersion;
    Kind kind = Kind::Control;
    std::string name;               // message name, e.g. "seller.create", "ping"
    std::string id;                 // request id chosen by the client; replies echo it
    Doc body = Doc::object();       // fields as declared in schemas/messages.cpp
    std::optional<uint64_t> seq;    // replies: event sequence the answer reflects
    std::optional<uint64_t> minSeq; // queries: answer only from a replica that applied this seq
    std::optional<std::string> node;  // replies: which node answered
    // Commands on their way to the command node: who sent them (the key the client's gateway
    // authenticated), set by the gateway; a client never sends it. Request ids are the client's own.
    std::optional<std::string> client;
    // When not empty: the body already packed as a msgpack map, sent instead of `body` (a reply
    // assembled from stored records without decoding them).
    std::string packedBody;
};

std::string encodeEnvelope(const Envelope& e);

// Decodes and validates an envelope: schema version, known kind and name, body fields against the
// declared schema. Errors carry code "malformed", "bad_version", "unknown_message" or "bad_field".
Result<Envelope> decodeEnvelope(std::string_view bytes);

// Like decodeEnvelope but only checks the envelope itself, not the body against the catalogue;
// used by relays (gateway) that must not depend on every message's schema.
Result<Envelope> decodeEnvelopeHeader(std::string_view bytes);

// The routing-relevant part of an envelope, read without building the body: relays (the gateway,
// load generators) need only the kind, the id, who answered and an error's code, and decoding a
// whole reply (say a page of sales) per hop would cost more than everything else they do.
struct EnvelopePeek {
    Kind kind = Kind::Control;
    std::string name;
    std::string id;
    std::string errorCode;  // body.code of an error, else empty
    std::string node;
    uint64_t minSeq = 0;
    bool hasClient = false;  // the envelope carries `client` (which only a gateway may set)
};
std::optional<EnvelopePeek> peekEnvelope(std::string_view bytes);

// The envelope `bytes` (a valid one: peekEnvelope read it) with `client` added, without decoding it.
std::string withClient(std::string_view bytes, std::string_view client);

// The error code of a gateway that cannot pass commands on (it hears no broker): unlike every
// other error it is about that gateway, not the request, so a client with other gateways resends
// the request there (same id) instead of giving up.
inline constexpr std::string_view kErrorCutOff = "cut_off";

// Builders for the common replies.
Envelope makeReply(const Envelope& req, Doc body);
Envelope makeErrorReply(std::string_view name, std::string_view id, const Error& err);
// The error that answers the request `bytes` when it cannot be served as sent (it does not decode,
// is too large, or is refused before it is read in full): it echoes whatever of the request's
// name and id can be read (each a string of at most 128 bytes), whatever else is wrong with it, so
// a client that matches replies by id gets its answer at once. Name "?" and id "" when unreadable.
Envelope makeRefusal(std::string_view bytes, const Error& err);

}  // namespace jupiter
