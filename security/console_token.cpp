// The console's access token; see console_token.hpp.
#include "security/console_token.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "security/certificate.hpp"

namespace jupiter {

namespace {

constexpr std::size_t kTokenBytes = 32;

bool isToken(const std::string& s) {
    return s.size() == 2 * kTokenBytes && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

std::filesystem::path consoleTokenFile(const std::filesystem::path& keysDir) { return keysDir / "console.token"; }

Result<std::string> readConsoleToken(const std::filesystem::path& keysDir) {
    const auto file = consoleTokenFile(keysDir);
    std::error_code ec;
    if (std::filesystem::exists(file, ec))
        if (auto mode = checkSecretFileMode(file); !mode) return mode.error();  // a secret like the keys
    std::ifstream in(file);
    if (!in)
        return makeError("console", fmt::format("no console token in {} (the monitor makes it when it serves its "
                                                "console beyond loopback)", file.string()));
    std::string token;
    std::getline(in, token);
    if (!isToken(token))
        return makeError("console", fmt::format("{} does not hold a console token (64 hex digits): remove it and "
                                                "restart the monitor, which makes a new one", file.string()));
    return token;
}

Result<std::string> loadOrCreateConsoleToken(const std::filesystem::path& keysDir) {
    if (std::filesystem::exists(consoleTokenFile(keysDir))) return readConsoleToken(keysDir);
    if (sodium_init() < 0) return makeError("console", "libsodium could not be initialised");
    std::array<unsigned char, kTokenBytes> raw{};
    randombytes_buf(raw.data(), raw.size());
    std::string token;
    for (unsigned char b : raw) token += fmt::format("{:02x}", b);
    const auto file = consoleTokenFile(keysDir);
    // O_EXCL: of two monitors starting at once, one makes it and the other reads it.
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST) return readConsoleToken(keysDir);
        return makeError("console", fmt::format("cannot create {}: {} (check the keys folder's permissions)",
                                                file.string(), std::strerror(errno)));
    }
    const std::string line = token + "\n";
    const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    ::close(fd);
    if (!written) return makeError("console", fmt::format("cannot write {} (is the disk full?)", file.string()));
    return token;
}

}  // namespace jupiter
