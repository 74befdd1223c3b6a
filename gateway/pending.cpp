// Token framing for forwarded requests; see pending.hpp.
#include "gateway/pending.hpp"

#include <cstring>

namespace jupiter {

std::string encodeToken(uint64_t token) {
    std::string s(8, '\0');
    std::memcpy(s.data(), &token, 8);
    return s;
}

std::optional<uint64_t> decodeToken(std::string_view frame) {
    if (frame.size() != 8) return std::nullopt;
    uint64_t t = 0;
    std::memcpy(&t, frame.data(), 8);
    return t;
}

}  // namespace jupiter
