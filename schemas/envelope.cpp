// Envelope codec: a msgpack map {v, kind, name, id, body[, seq, min_seq, node]}.
#include "schemas/envelope.hpp"

#include <array>

#include <msgpack.hpp>

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
    Doc d = {{"v", e.version}, {"kind", kindName(e.kind)}, {"name", e.name}, {"id", e.id}};
    if (e.seq) d["seq"] = *e.seq;
    if (e.minSeq) d["min_seq"] = *e.minSeq;
    if (e.node) d["node"] = *e.node;
    if (e.packedBody.empty()) {
        d["body"] = e.body;
        return packDoc(d);
    }
    std::string out;
    out.reserve(e.packedBody.size() + 128);
    packMapHeader(out, static_cast<uint32_t>(d.size() + 1));
    for (const auto& [key, value] : d.items()) {
        packDocTo(out, Doc(key));
        packDocTo(out, value);
    }
    packDocTo(out, Doc("body"));
    out += e.packedBody;
    return out;
}

Result<Envelope> decodeEnvelopeHeader(std::string_view bytes) {
    auto doc = unpackDoc(bytes);
    if (!doc) return doc.error();
    Doc& d = *doc;  // not const: the body is moved out, not copied
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

std::optional<EnvelopePeek> peekEnvelope(std::string_view bytes) {
    if (bytes.empty() || bytes.size() > kMaxMessageBytes) return std::nullopt;
    try {
        std::size_t off = 0;
        const msgpack::unpack_limit limit(65536, 65536, 1u << 20, 1u << 20, 1u << 20, 17);
        msgpack::object_handle oh = msgpack::unpack(bytes.data(), bytes.size(), off, nullptr, nullptr, limit);
        const msgpack::object& o = oh.get();
        if (off != bytes.size() || o.type != msgpack::type::MAP) return std::nullopt;
        auto str = [](const msgpack::object& v) -> std::optional<std::string_view> {
            if (v.type != msgpack::type::STR) return std::nullopt;
            return std::string_view(v.via.str.ptr, v.via.str.size);
        };
        EnvelopePeek p;
        bool haveKind = false, haveId = false;
        const msgpack::object* body = nullptr;
        for (uint32_t i = 0; i < o.via.map.size; ++i) {
            const auto& kv = o.via.map.ptr[i];
            auto key = str(kv.key);
            if (!key) return std::nullopt;
            if (*key == "v") {
                if (kv.val.type != msgpack::type::POSITIVE_INTEGER || kv.val.via.u64 != kSchemaVersion) return std::nullopt;
            } else if (*key == "kind") {
                auto k = str(kv.val);
                auto kind = k ? parseKind(*k) : std::nullopt;
                if (!kind) return std::nullopt;
                p.kind = *kind;
                haveKind = true;
            } else if (*key == "id") {
                auto id = str(kv.val);
                if (!id) return std::nullopt;
                p.id = std::string(*id);
                haveId = true;
            } else if (*key == "name") {
                auto n = str(kv.val);
                if (!n) return std::nullopt;
                p.name = std::string(*n);
            } else if (*key == "min_seq") {
                if (kv.val.type != msgpack::type::POSITIVE_INTEGER) return std::nullopt;
                p.minSeq = kv.val.via.u64;
            } else if (*key == "node") {
                if (auto n = str(kv.val)) p.node = std::string(*n);
            } else if (*key == "body") {
                if (kv.val.type != msgpack::type::MAP) return std::nullopt;
                body = &kv.val;
            }
        }
        if (!haveKind || !haveId || !body) return std::nullopt;
        if (p.kind == Kind::Error) {
            for (uint32_t i = 0; i < body->via.map.size; ++i) {
                const auto& kv = body->via.map.ptr[i];
                if (str(kv.key) == std::optional<std::string_view>("code"))
                    if (auto c = str(kv.val)) p.errorCode = std::string(*c);
            }
        }
        return p;
    } catch (const std::exception&) {
        return std::nullopt;
    }
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
