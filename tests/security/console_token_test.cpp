// The console's access token in the keys folder: made once (0600, 64 hex digits), then read back.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <fstream>

#include "security/console_token.hpp"
#include "temp_dir.hpp"

using namespace jupiter;

TEST_CASE("console token: made once, private, then read back - an exposed or damaged file is an error that says what to do") {
    testing::TempDir keys("console-token");
    CHECK_FALSE(readConsoleToken(keys.path).ok());
    auto made = loadOrCreateConsoleToken(keys.path);
    REQUIRE(made.ok());
    CHECK(made->size() == 64);
    CHECK(made->find_first_not_of("0123456789abcdef") == std::string::npos);
    struct stat st {};
    REQUIRE(stat(consoleTokenFile(keys.path).c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    auto again = loadOrCreateConsoleToken(keys.path);
    REQUIRE(again.ok());
    CHECK(*again == *made);
    CHECK(*readConsoleToken(keys.path) == *made);
    testing::TempDir other("console-token");
    CHECK(*loadOrCreateConsoleToken(other.path) != *made);  // random, not derived

    // Readable by others, it is refused like a secret key, naming the chmod.
    std::filesystem::permissions(consoleTokenFile(keys.path), std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::add);
    auto exposed = readConsoleToken(keys.path);
    REQUIRE_FALSE(exposed.ok());
    CHECK(exposed.error().message.find("chmod 600") != std::string::npos);
    std::filesystem::permissions(consoleTokenFile(keys.path), std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::remove);
    std::ofstream(consoleTokenFile(keys.path)) << "guessable\n";
    auto damaged = loadOrCreateConsoleToken(keys.path);
    REQUIRE_FALSE(damaged.ok());
    CHECK(damaged.error().message.find("does not hold a console token (64 hex digits): remove it") !=
          std::string::npos);
}
