// How many checks have failed so far in this test process: a cluster that sees the count grow while
// it ran prints the end of its daemons' logs before it removes them, so that a failure seen once in
// CI (a flake) can be read, not only guessed at.
#pragma once

#include <cstddef>

namespace jupiter::testing {

std::size_t failedChecks();

}  // namespace jupiter::testing
