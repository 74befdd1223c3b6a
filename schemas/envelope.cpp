// Envelope codec: a msgpack map {v, kind, name, id, body[, seq, min_seq, node]}.
#include "schemas/envelope.hpp"

#include <array>
#include <stdexcept>

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
        return makeError("malformed", fmt::format("envelope field '{}' must be an unsigned integer", key), key);
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
    if (e.client) d["client"] = *e.client;
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
        return makeError("malformed", "envelope field 'v' (schema version) is missing or not an unsigned integer", "v");
    if (v->get<uint64_t>() != kSchemaVersion)
        return makeError("bad_version", fmt::format("schema version {} is not supported (this node speaks {})",
                                                    v->get<uint64_t>(), kSchemaVersion),
                         "v");
    Envelope e;
    for (const char* key : {"kind", "name", "id"}) {
        auto it = d.find(key);
        if (it == d.end() || !it->is_string())
            return makeError("malformed", fmt::format("envelope field '{}' is missing or not a string", key), key);
        if (it->get_ref<const std::string&>().size() > 128)
            return makeError("malformed", fmt::format("envelope field '{}' is longer than 128 bytes", key), key);
    }
    auto kind = parseKind(d["kind"].get_ref<const std::string&>());
    if (!kind)
        return makeError("unknown_message",
                         fmt::format("unknown kind '{}' (a client sends command or query, or control for ping)",
                                     d["kind"].get<std::string>()),
                         "kind");
    e.kind = *kind;
    e.name = d["name"].get<std::string>();
    e.id = d["id"].get<std::string>();
    auto body = d.find("body");
    if (body == d.end() || !body->is_object())
        return makeError("malformed", "envelope field 'body' is missing or not a map", "body");
    e.body = std::move(*body);
    if (auto r = optionalU64(d, "seq", e.seq); !r) return r.error();
    if (auto r = optionalU64(d, "min_seq", e.minSeq); !r) return r.error();
    if (auto n = d.find("node"); n != d.end()) {
        if (!n->is_string()) return makeError("malformed", "envelope field 'node' must be a string", "node");
        e.node = n->get<std::string>();
    }
    if (auto c = d.find("client"); c != d.end()) {
        if (!c->is_string() || c->get_ref<const std::string&>().size() > 128)
            return makeError("malformed", "envelope field 'client' must be a string of at most 128 bytes", "client");
        e.client = c->get<std::string>();
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
            } else if (*key == "client") {
                p.hasClient = true;
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

std::string withClient(std::string_view bytes, std::string_view client) {
    // The map's entry count is in its header: fixmap (0x80 | n, n < 16), map 16 (0xde) or map 32 (0xdf).
    const auto b0 = static_cast<unsigned char>(bytes.at(0));
    uint32_t n = 0;
    std::size_t header = 1;
    if ((b0 & 0xf0) == 0x80) {
        n = b0 & 0x0f;
    } else {
        header = b0 == 0xde ? 3 : 5;
        if (bytes.size() < header || (b0 != 0xde && b0 != 0xdf))
            throw std::logic_error("withClient: not a msgpack map");
        for (std::size_t i = 1; i < header; ++i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
    }
    std::string out;
    out.reserve(bytes.size() + client.size() + 16);
    packMapHeader(out, n + 1);
    out.append(bytes.substr(header));
    packStr(out, "client");
    packStr(out, client);
    return out;
}

Envelope makeReply(const Envelope& req, Doc body) {
    Envelope r;
    r.kind = Kind::Reply;
    r.name = req.name;
    r.id = req.id;
    r.body = std::move(body);
    return r;
}

Envelope makeRefusal(std::string_view bytes, const Error& err) {
    // The envelope's entries are read one at a time, so that the name and id are found even when
    // what follows them (a body too large, too deep or cut short) cannot be read.
    std::string name, id;
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    uint32_t n = 0;
    std::size_t off = 1;
    if (!bytes.empty() && (p[0] & 0xf0) == 0x80) {
        n = p[0] & 0x0f;
    } else if (!bytes.empty() && (p[0] == 0xde || p[0] == 0xdf) && bytes.size() >= (p[0] == 0xde ? 3u : 5u)) {
        off = p[0] == 0xde ? 3 : 5;
        for (std::size_t i = 1; i < off; ++i) n = (n << 8) | p[i];
    }
    // Limits as wide as what a node reads (an entry before the id, often the body, may be large).
    const msgpack::unpack_limit limit(65536, 65536, kMaxRequestReadBytes, kMaxRequestReadBytes, kMaxRequestReadBytes, 32);
    try {
        for (uint32_t i = 0; i < n && i < 64 && off < bytes.size(); ++i) {
            msgpack::object_handle kh = msgpack::unpack(bytes.data(), bytes.size(), off, nullptr, nullptr, limit);
            const msgpack::object& k = kh.get();
            const std::string_view key = k.type == msgpack::type::STR ? std::string_view(k.via.str.ptr, k.via.str.size)
                                                                       : std::string_view();
            msgpack::object_handle vh = msgpack::unpack(bytes.data(), bytes.size(), off, nullptr, nullptr, limit);
            const msgpack::object& v = vh.get();
            if ((key != "name" && key != "id") || v.type != msgpack::type::STR || v.via.str.size > 128) continue;
            (key == "name" ? name : id).assign(v.via.str.ptr, v.via.str.size);
        }
    } catch (const std::exception&) {
        // Not msgpack from here on, or past a limit: what was read so far is echoed.
    }
    return makeErrorReply(name, id, err);
}

Envelope makeErrorReply(std::string_view name, std::string_view id, const Error& err) {
    Envelope r;
    r.kind = Kind::Error;
    r.name = std::string(name.empty() ? "?" : name);
    r.id = std::string(id);
    r.body = {{"code", err.code}, {"message", err.message.substr(0, 4000)}};
    if (!err.field.empty()) r.body["field"] = err.field.substr(0, 128);
    return r;
}

}  // namespace jupiter
