// Flat msgpack maps written and read field by field, without a Doc in between: for the records
// applying an event reads and rewrites every time (a product's stock). MapPacker gives the very
// bytes packDoc gives for the same map, so every store's digest stays what it was.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <msgpack.hpp>

namespace jupiter {

class MapPacker {
public:
    // Fields must then come in key order (as a Doc keeps them), exactly `fields` of them; anything
    // else is a programming error (std::logic_error).
    explicit MapPacker(uint32_t fields);
    MapPacker& str(std::string_view key, std::string_view value);
    MapPacker& u64(std::string_view key, uint64_t value);
    MapPacker& i64(std::string_view key, int64_t value);
    std::string take();

private:
    void key(std::string_view k);
    std::string out_;
    std::string last_;
    uint32_t left_;
};

// Reads fields of one packed map. Throws std::runtime_error naming the field when the bytes are
// not a map or a field is missing or of another type (a stored record of the wrong shape).
class MapReader {
public:
    explicit MapReader(std::string_view bytes);
    std::string str(std::string_view key) const;
    uint64_t u64(std::string_view key) const;
    int64_t i64(std::string_view key) const;

private:
    const msgpack::object& field(std::string_view key) const;
    msgpack::object_handle handle_;
};

}  // namespace jupiter
