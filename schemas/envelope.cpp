// Envelope codec: a msgpack map {v, kind, name, id, body[, seq, min_seq, node]}.
#include "schemas/envelope.hpp"

#include <array>

#include <fmt/format.h>

#include "schemas/catalog.hpp"

namespace jupiter {
namespace {

constexpr std::array<std::string_view, 8> kKindNames = {"command",   "query",      "reply",  "error",
                                                        "events",    "heartbeat",  "transition", "control"};

Result<uint64_t> optionalU64(const Doc& d, const char* key, std::optional<uint64_t>& out) {
    auto it = d.find(key);
    if (it == d.end()) return uint64_t{0};
    if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0))
        return makeError("malformed", fmt::format("envelope field '{}' must be an unsigned integer", key));
    out = it->get<uint64_t>();
    return *out;
}

}  // namespace

std::string_view kindName(Kind k) { return kKindNames[static_cast<std::size_t>(k)]; }

std::optional<Kind> parseKind(std::string_view s) {
    for (std::size_t i = 0; i < kKindNames.size(); ++i)
        if (kKindNames[i] == s) return static_cast<Kind>(i);
    return std::nullopt;
}

std::string encodeEnvelope(const Envelope& e) {
    Doc d = {{"v", e.version}, {"kind", kindName(e.kind)}, {"name", e.name}, {"id", e.id}, {"body", e.body}};
    if (e.seq) d["seq"] = *e.seq;
    if (e.minSeq) d["min_seq"] = *e.minSeq;
    if (e.node) d["node"] = *e.node;
    return packDoc(d);
}

Result<Envelope> decodeEnvelopeHeader(std::string_view bytes) {
    auto doc = unpackDoc(bytes);
    if (!doc) return doc.error();
    const Doc& d = *doc;
    if (!d.is_object()) return makeError("malformed", "a message must be a msgpack map (the envelope)");
    auto v = d.find("v");
    if (v == d.end() || !v->is_number_unsigned())
        return makeError("malformed", "envelope field 'v' (schema version) is missing or not an unsigned integer");
    if (v->get<uint64_t>() != kSchemaVersion)
        return makeError("bad_version", fmt::format("schema version {} is not supported (this node speaks {})",
                                                    v->get<uint64_t>(), kSchemaVersion));
    Envelope e;
    for (const char* key : {"kind", "name", "id"}) {
        auto it = d.find(key);
        if (it == d.end() || !it->is_string())
            return makeError("malformed", fmt::format("envelope field '{}' is missing or not a string", key));
        if (it->get_ref<const std::string&>().size() > 128)
            return makeError("malformed", fmt::format("envelope field '{}' is longer than 128 bytes", key));
    }
    auto kind = parseKind(d["kind"].get_ref<const std::string&>());
    if (!kind) return makeError("unknown_message", fmt::format("unknown kind '{}'", d["kind"].get<std::string>()));
    e.kind = *kind;
    e.name = d["name"].get<std::string>();
    e.id = d["id"].get<std::string>();
    auto body = d.find("body");
    if (body == d.end() || !body->is_object())
        return makeError("malformed", "envelope field 'body' is missing or not a map");
    e.body = std::move(*body);
    if (auto r = optionalU64(d, "seq", e.seq); !r) return r.error();
    if (auto r = optionalU64(d, "min_seq", e.minSeq); !r) return r.error();
    if (auto n = d.find("node"); n != d.end()) {
        if (!n->is_string()) return makeError("malformed", "envelope field 'node' must be a string");
        e.node = n->get<std::string>();
    }
    return e;
}

Result<Envelope> decodeEnvelope(std::string_view bytes) {
    auto e = decodeEnvelopeHeader(bytes);
    if (!e) return e;
    const MessageSpec* spec = findMessage(e->kind, e->name);
    if (!spec)
        return makeError("unknown_message",
                         fmt::format("unknown {} '{}' (see schemas/README.md for the messages Jupiter accepts)",
                                     kindName(e->kind), e->name));
    if (auto ok = validateBody(*spec, e->body); !ok) return ok.error();
    return e;
}

Envelope makeReply(const Envelope& req, Doc body) {
    Envelope r;
    r.kind = Kind::Reply;
    r.name = req.name;
    r.id = req.id;
    r.body = std::move(body);
    return r;
}

Envelope makeErrorReply(std::string_view name, std::string_view id, const Error& err) {
    Envelope r;
    r.kind = Kind::Error;
    r.name = std::string(name.empty() ? "?" : name);
    r.id = std::string(id);
    r.body = {{"code", err.code}, {"message", err.message.substr(0, 4000)}};
    return r;
}

}  // namespace jupiter
