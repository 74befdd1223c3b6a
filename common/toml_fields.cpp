// Checked reads of TOML fields; see toml_fields.hpp.
#include "common/toml_fields.hpp"

#include <algorithm>

#include <fmt/ranges.h>

namespace jupiter::toml_fields {

namespace {

// Levenshtein distance, for "did you mean" hints on misspelled keys.
std::size_t editDistance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

}  // namespace

// Refuses keys of `t` outside `accepted`, naming the closest accepted key when there is one.
Status checkKeys(const toml::table& t, std::string_view where, const std::vector<std::string>& accepted) {
    for (auto&& [k, v] : t) {
        const std::string key(k.str());
        if (std::find(accepted.begin(), accepted.end(), key) != accepted.end()) continue;
        std::string best;
        std::size_t bestDist = 3;  // further than two edits is no hint
        for (const auto& a : accepted)
            if (auto d = editDistance(key, a); d < bestDist) best = a, bestDist = d;
        return makeError("config", fmt::format("{}: unknown key {}{} (accepted: {})", where, key,
                                               best.empty() ? "" : fmt::format(" (did you mean {}?)", best),
                                               fmt::join(accepted, ", ")));
    }
    return Ok{};
}

Status checkEndpoint(const std::string& key, const std::string& ep) {
    if (ep.rfind("tcp://", 0) != 0 && ep.rfind("ipc://", 0) != 0 && ep.rfind("inproc://", 0) != 0)
        return makeError("config", fmt::format("{} = \"{}\" is not a ZeroMQ endpoint (expected tcp://HOST:PORT or "
                                               "ipc://PATH)", key, ep));
    if (ep.rfind("tcp://", 0) == 0) {
        auto colon = ep.rfind(':');
        if (colon == std::string::npos || colon < 6 || colon + 1 >= ep.size())
            return makeError("config", fmt::format("{} = \"{}\" has no port (expected tcp://HOST:PORT)", key, ep));
        for (std::size_t i = colon + 1; i < ep.size(); ++i)
            if ((ep[i] < '0' || ep[i] > '9') && ep[i] != '*')
                return makeError("config", fmt::format("{} = \"{}\" has a bad port", key, ep));
    }
    return Ok{};
}

// Reads a boolean key, leaving `out` untouched when absent.
Status readBool(const toml::table& t, std::string_view where, std::string_view key, bool& out) {
    auto node = t[key];
    if (!node) return Ok{};
    auto v = node.value_exact<bool>();
    if (!v) return makeError("config", fmt::format("{} {} must be true or false", where, key));
    out = *v;
    return Ok{};
}

Status readString(const toml::table& t, std::string_view where, std::string_view key, bool required,
                  std::string& out) {
    auto node = t[key];
    if (!node) {
        if (required) return makeError("config", fmt::format("{} {} is missing", where, key));
        return Ok{};
    }
    auto v = node.value<std::string>();
    if (!v) return makeError("config", fmt::format("{} {} must be a string", where, key));
    out = *v;
    return Ok{};
}

Status readEndpoint(const toml::table& t, std::string_view where, std::string_view key, std::string& ep,
                    std::string& bind) {
    if (auto s = readString(t, where, key, true, ep); !s) return s;
    if (auto s = checkEndpoint(fmt::format("{} {}", where, key), ep); !s) return s;
    bind = ep;
    const std::string bindKey = std::string(key) + "_bind";
    if (auto s = readString(t, where, bindKey, false, bind); !s) return s;
    return checkEndpoint(fmt::format("{} {}", where, bindKey), bind);
}

}  // namespace jupiter::toml_fields
