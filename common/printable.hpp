// A string from a peer made safe for a log line: bytes outside printable ASCII (newlines, escape
// sequences, invalid UTF-8) written as \xNN, and anything past `max` bytes cut off with "…", so
// that nothing a peer sends can forge or flood a line of a log.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace jupiter {

std::string printable(std::string_view s, std::size_t max = 64);

}  // namespace jupiter
