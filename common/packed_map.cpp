// Field-by-field msgpack maps; see packed_map.hpp.
#include "common/packed_map.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "common/doc.hpp"

namespace jupiter {
MapPacker::MapPacker(uint32_t fields) : left_(fields) { packMapHeader(out_, fields); }

void MapPacker::key(std::string_view k) {
    if (left_ == 0 || (!last_.empty() && k <= last_))
        throw std::logic_error(fmt::format("MapPacker: field '{}' out of key order or beyond the count", k));
    --left_;
    last_ = k;
    packStr(out_, k);
}

MapPacker& MapPacker::str(std::string_view k, std::string_view value) {
    key(k);
    packStr(out_, value);
    return *this;
}

MapPacker& MapPacker::u64(std::string_view k, uint64_t value) {
    key(k);
    packU64(out_, value);
    return *this;
}

MapPacker& MapPacker::i64(std::string_view k, int64_t value) {
    key(k);
    packI64(out_, value);
    return *this;
}

std::string MapPacker::take() {
    if (left_ != 0) throw std::logic_error("MapPacker: fewer fields than declared");
    return std::move(out_);
}

MapReader::MapReader(std::string_view bytes) {
    try {
        std::size_t off = 0;
        handle_ = msgpack::unpack(bytes.data(), bytes.size(), off);
        if (off != bytes.size()) throw std::runtime_error("trailing bytes after the map");
    } catch (const msgpack::unpack_error& e) {
        throw std::runtime_error(fmt::format("not msgpack: {}", e.what()));
    }
    if (handle_.get().type != msgpack::type::MAP) throw std::runtime_error("not a msgpack map");
}

const msgpack::object& MapReader::field(std::string_view key) const {
    const auto& map = handle_.get().via.map;
    for (uint32_t i = 0; i < map.size; ++i) {
        const auto& kv = map.ptr[i];
        if (kv.key.type == msgpack::type::STR && std::string_view(kv.key.via.str.ptr, kv.key.via.str.size) == key)
            return kv.val;
    }
    throw std::runtime_error(fmt::format("field '{}' is missing", key));
}

std::string MapReader::str(std::string_view key) const {
    const auto& v = field(key);
    if (v.type != msgpack::type::STR) throw std::runtime_error(fmt::format("field '{}' is not a string", key));
    return std::string(v.via.str.ptr, v.via.str.size);
}

uint64_t MapReader::u64(std::string_view key) const {
    const auto& v = field(key);
    if (v.type != msgpack::type::POSITIVE_INTEGER)
        throw std::runtime_error(fmt::format("field '{}' is not an unsigned integer", key));
    return v.via.u64;
}

int64_t MapReader::i64(std::string_view key) const {
    const auto& v = field(key);
    if (v.type == msgpack::type::NEGATIVE_INTEGER) return v.via.i64;
    if (v.type == msgpack::type::POSITIVE_INTEGER && v.via.u64 <= static_cast<uint64_t>(INT64_MAX))
        return static_cast<int64_t>(v.via.u64);
    throw std::runtime_error(fmt::format("field '{}' is not a 64-bit integer", key));
}

}  // namespace jupiter
