// The monitor console's read-only access token: 32 random bytes as 64 hex digits in the keys
// folder's console.token (0600), made by the first monitor that serves its console beyond
// loopback, read by `jupiter console` to print the whole address. It opens the console only
// (nothing on the bus): a browser shows it in the address bar, so it is a key to a window, not a door.
#pragma once

#include <filesystem>
#include <string>

#include "common/result.hpp"

namespace jupiter {

std::filesystem::path consoleTokenFile(const std::filesystem::path& keysDir);
// The token in keysDir/console.token, made (0600) when there is none. The error names the file and
// what to check.
Result<std::string> loadOrCreateConsoleToken(const std::filesystem::path& keysDir);
// The token, or an error when there is none yet or it is not 64 hex digits.
Result<std::string> readConsoleToken(const std::filesystem::path& keysDir);

}  // namespace jupiter
