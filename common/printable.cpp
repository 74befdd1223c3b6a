// Escaping for log lines; see printable.hpp.
#include "common/printable.hpp"

#include <fmt/format.h>

namespace jupiter {

std::string printable(std::string_view s, std::size_t max) {
    std::string out;
    out.reserve(std::min(s.size(), max) + 8);
    for (std::size_t i = 0; i < s.size() && i < max; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f && c != '\\') out.push_back(static_cast<char>(c));
        else out += fmt::format("\\x{:02x}", c);
    }
    if (s.size() > max) out += fmt::format("… ({} bytes)", s.size());
    return out;
}

}  // namespace jupiter
