// Reading a TOML table's fields with checks that name the key and the section: integers in a
// range, booleans, strings, ZeroMQ endpoints (and their `_bind` twins), and a refusal of unknown keys
// that names the key probably meant. Used by the configuration parser (config.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "common/result.hpp"

namespace jupiter::toml_fields {

// Refuses keys of `t` outside `accepted`, naming the closest accepted key when there is one.
Status checkKeys(const toml::table& t, std::string_view where, const std::vector<std::string>& accepted);
// A ZeroMQ endpoint: tcp://HOST:PORT, ipc://PATH or inproc://NAME.
Status checkEndpoint(const std::string& key, const std::string& ep);

// Reads an integer key within [lo, hi], leaving `out` untouched when absent.
template <class Int>
Status readInt(const toml::table& t, std::string_view where, std::string_view key, int64_t lo, int64_t hi, Int& out) {
    auto node = t[key];
    if (!node) return Ok{};
    auto v = node.value<int64_t>();
    if (!v || *v < lo || *v > hi)
        return makeError("config", fmt::format("{} {} must be an integer from {} to {}", where, key, lo, hi));
    out = static_cast<Int>(*v);
    return Ok{};
}

// Reads a boolean key, leaving `out` untouched when absent.
Status readBool(const toml::table& t, std::string_view where, std::string_view key, bool& out);
// Reads a string key, leaving `out` untouched when absent (an error when `required`).
Status readString(const toml::table& t, std::string_view where, std::string_view key, bool required,
                  std::string& out);
// Reads a required endpoint `key` into `ep`, and `<key>_bind` into `bind` (default: `ep`).
Status readEndpoint(const toml::table& t, std::string_view where, std::string_view key, std::string& ep,
                    std::string& bind);

}  // namespace jupiter::toml_fields
