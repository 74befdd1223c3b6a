// The installed C++ client library from outside the source tree: the example program, built
// against the installed files only (tests/packaging/client_library_test.sh), talks to a cluster.
#include <doctest/doctest.h>

#include <unistd.h>

#include <fmt/format.h>

#include "checks.hpp"
#include "cluster.hpp"

// Every case here is a scenario (in every CI run) unless it says soak (scripts/soak.sh).
TEST_SUITE_BEGIN("scenario");

using namespace jupiter;
using namespace jupiter::testing;

TEST_CASE("client library: an out-of-tree program built against the installed files (CMake and pkg-config) works") {
    const std::string build = std::string(JUPITER_BIN_DIR) + "/..";
    const std::string out = fmt::format("/tmp/jupiter-client-library-{}", getpid());
    // The examples are compiled by the compiler that built the library (CXX: CMake and the script's
    // pkg-config line both read it).
    std::string flags = fmt::format("CXX='{}' ", JUPITER_CXX_COMPILER);
#if defined(JUPITER_SANITIZER_FLAGS)
    // The library is built with the sanitizers here: a program that loads it must be too.
    flags += fmt::format("JUPITER_EXAMPLE_FLAGS='{}' ", JUPITER_SANITIZER_FLAGS);
#endif
    auto built = runShell(fmt::format("{}bash '{}/tests/packaging/client_library_test.sh' '{}' '{}' 2>&1", flags,
                                      JUPITER_SOURCE_DIR, build, out));
    INFO(built.output);
    REQUIRE(built.exitCode == 0);
    Cluster c;
    int n = 0;
    for (const char* program : {"cmake-example", "pkgconfig-example"}) {
        auto run = runShell(fmt::format("'{}/{}' '{}' EX-{} 2>&1", out, program, c.dir().string(), ++n));
        INFO(program, ": ", run.output);
        CHECK(run.exitCode == 0);
        CHECK(run.output.find(fmt::format("\"EX-{}\"", n)) == std::string::npos);  // the code printed bare
        CHECK(run.output.find(fmt::format("EX-{} 425 cents", n)) != std::string::npos);
        CHECK(run.output.find("missing: not_found (id)") != std::string::npos);
    }
    runShell(fmt::format("rm -rf '{}'", out));
}

TEST_SUITE_END();
