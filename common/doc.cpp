// msgpack <-> Doc conversion with msgpack-cxx; see doc.hpp for the guarantees.
#include "common/doc.hpp"

#include <msgpack.hpp>

#include <fmt/format.h>

namespace jupiter {
namespace {

constexpr int kMaxDepth = 16;

void packValue(msgpack::packer<msgpack::sbuffer>& pk, const Doc& d) {
    switch (d.type()) {
        case Doc::value_t::null: pk.pack_nil(); break;
        case Doc::value_t::boolean: pk.pack(d.get<bool>()); break;
        case Doc::value_t::number_integer: pk.pack(d.get<int64_t>()); break;
        case Doc::value_t::number_unsigned: pk.pack(d.get<uint64_t>()); break;
        case Doc::value_t::number_float: pk.pack(d.get<double>()); break;
        case Doc::value_t::string: {
            const auto& s = d.get_ref<const std::string&>();
            pk.pack_str(static_cast<uint32_t>(s.size()));
            pk.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
            break;
        }
        case Doc::value_t::array:
            pk.pack_array(static_cast<uint32_t>(d.size()));
            for (const auto& e : d) packValue(pk, e);
            break;
        case Doc::value_t::object:
            pk.pack_map(static_cast<uint32_t>(d.size()));
            for (auto it = d.begin(); it != d.end(); ++it) {
                pk.pack_str(static_cast<uint32_t>(it.key().size()));
                pk.pack_str_body(it.key().data(), static_cast<uint32_t>(it.key().size()));
                packValue(pk, it.value());
            }
            break;
        case Doc::value_t::binary:
        case Doc::value_t::discarded: pk.pack_nil(); break;
    }
}

Result<Doc> toDoc(const msgpack::object& o, int depth) {
    if (depth > kMaxDepth) return makeError("malformed", "message nests deeper than 16 levels");
    switch (o.type) {
        case msgpack::type::NIL: return Doc(nullptr);
        case msgpack::type::BOOLEAN: return Doc(o.via.boolean);
        case msgpack::type::POSITIVE_INTEGER: return Doc(o.via.u64);
        case msgpack::type::NEGATIVE_INTEGER: return Doc(o.via.i64);
        case msgpack::type::FLOAT32:
        case msgpack::type::FLOAT64: return Doc(o.via.f64);
        case msgpack::type::STR: return Doc(std::string(o.via.str.ptr, o.via.str.size));
        case msgpack::type::ARRAY: {
            Doc arr = Doc::array();
            for (uint32_t i = 0; i < o.via.array.size; ++i) {
                auto e = toDoc(o.via.array.ptr[i], depth + 1);
                if (!e) return e.error();
                arr.push_back(std::move(e.value()));
            }
            return arr;
        }
        case msgpack::type::MAP: {
            Doc obj = Doc::object();
            for (uint32_t i = 0; i < o.via.map.size; ++i) {
                const auto& kv = o.via.map.ptr[i];
                if (kv.key.type != msgpack::type::STR)
                    return makeError("malformed", "map keys must be strings");
                auto v = toDoc(kv.val, depth + 1);
                if (!v) return v.error();
                obj[std::string(kv.key.via.str.ptr, kv.key.via.str.size)] = std::move(v.value());
            }
            return obj;
        }
        case msgpack::type::BIN:
        case msgpack::type::EXT: return makeError("malformed", "binary and extension values are not accepted");
    }
    return makeError("malformed", "unknown msgpack type");
}

}  // namespace

void packDocTo(std::string& out, const Doc& doc) {
    msgpack::sbuffer buf;
    msgpack::packer<msgpack::sbuffer> pk(buf);
    packValue(pk, doc);
    out.append(buf.data(), buf.size());
}

// msgpack-cxx's packer needs only write(): append to a std::string.
struct StringSink {
    std::string& out;
    void write(const char* data, std::size_t n) { out.append(data, n); }
};

void packStr(std::string& out, std::string_view s) {
    StringSink sink{out};
    msgpack::packer<StringSink> pk(sink);
    pk.pack_str(static_cast<uint32_t>(s.size()));
    pk.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
}

void packU64(std::string& out, uint64_t n) {
    StringSink sink{out};
    msgpack::packer<StringSink>(sink).pack(n);
}

void packI64(std::string& out, int64_t n) {
    StringSink sink{out};
    msgpack::packer<StringSink>(sink).pack(n);
}

void packBool(std::string& out, bool b) {
    StringSink sink{out};
    msgpack::packer<StringSink>(sink).pack(b);
}

void packMapHeader(std::string& out, uint32_t n) {
    msgpack::sbuffer buf;
    msgpack::packer<msgpack::sbuffer>(buf).pack_map(n);
    out.append(buf.data(), buf.size());
}

void packArrayHeader(std::string& out, uint32_t n) {
    msgpack::sbuffer buf;
    msgpack::packer<msgpack::sbuffer>(buf).pack_array(n);
    out.append(buf.data(), buf.size());
}

std::string packDoc(const Doc& doc) {
    std::string out;
    packDocTo(out, doc);
    return out;
}

Result<Doc> unpackDoc(std::string_view bytes) {
    if (bytes.empty()) return makeError("malformed", "empty message");
    if (bytes.size() > kMaxMessageBytes)
        return makeError("too_large", fmt::format("message of {} bytes exceeds the {} byte limit", bytes.size(),
                                                  kMaxMessageBytes));
    try {
        std::size_t off = 0;
        // Limits keep a hostile length prefix from allocating gigabytes.
        const msgpack::unpack_limit limit(65536, 65536, 1u << 20, 1u << 20, 1u << 20, kMaxDepth + 1);
        msgpack::object_handle oh =
            msgpack::unpack(bytes.data(), bytes.size(), off, nullptr, nullptr, limit);
        if (off != bytes.size())
            return makeError("malformed", fmt::format("{} trailing bytes after the message", bytes.size() - off));
        return toDoc(oh.get(), 0);
    } catch (const std::exception& e) {
        return makeError("malformed", fmt::format("not valid msgpack ({})", e.what()));
    }
}

}  // namespace jupiter
