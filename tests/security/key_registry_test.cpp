// The key registry's change detector: a key added, rewritten or removed is noticed; and a key added
// while the folder was being read, then removed before the next check, is noticed too (the race
// that once let a revoked client's commands through for good).
#include <doctest/doctest.h>

#include <filesystem>

#include "common/ports.hpp"
#include "security/certificate.hpp"
#include "security/key_registry.hpp"
#include "tests/temp_dir.hpp"

using namespace jupiter;
using jupiter::testing::TempDir;

namespace {

Config configIn(const std::filesystem::path& dir) {
    auto c = parseConfig(defaultConfigToml(dir, findFreePortRange(portsUsed(Layout{}))), dir / "jupiter.toml");
    REQUIRE(c.ok());
    return std::move(c.value());
}

}  // namespace

TEST_CASE("key registry: a client added, then removed, is noticed each time") {
    TempDir tmp("registry");
    const Config config = configIn(tmp.path);
    REQUIRE(createCertificate(config.keysDir, "rita", {{"role", "reader"}}).ok());
    std::vector<std::string> warnings;
    KeyRegistry reg = KeyRegistry::load(config, warnings);
    CHECK(reg.byName("rita") != nullptr);
    CHECK_FALSE(reg.changed(config));
    REQUIRE(createCertificate(config.keysDir, "walt", {{"role", "writer"}}).ok());
    CHECK(reg.changed(config));
    reg = KeyRegistry::load(config, warnings);
    CHECK(reg.byName("walt") != nullptr);
    std::filesystem::remove(publicCertificatePath(config.keysDir, "walt"));
    CHECK(reg.changed(config));
    reg = KeyRegistry::load(config, warnings);
    CHECK(reg.byName("walt") == nullptr);
    CHECK(warnings.empty());
}

TEST_CASE("key registry: a key added while the folder is read, then removed, is still noticed") {
    TempDir tmp("registry");
    const Config config = configIn(tmp.path);
    REQUIRE(createCertificate(config.keysDir, "rita", {{"role", "reader"}}).ok());
    std::vector<std::string> warnings;
    // `jupiter client add walt` lands between the registry's first look and its reading of the files.
    KeyRegistry reg = KeyRegistry::load(config, warnings, [&] {
        REQUIRE(createCertificate(config.keysDir, "walt", {{"role", "writer"}}).ok());
    });
    REQUIRE(reg.byName("walt") != nullptr);
    // `jupiter client revoke walt` before the next check: the folder is as it was at the first look.
    std::filesystem::remove(publicCertificatePath(config.keysDir, "walt"));
    CHECK(reg.changed(config));
    reg = KeyRegistry::load(config, warnings);
    CHECK(reg.byName("walt") == nullptr);
    CHECK_FALSE(reg.changed(config));
}
