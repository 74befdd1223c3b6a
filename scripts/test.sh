#!/usr/bin/env bash
# Sets everything up and runs Jupiter's whole test suite: a -Werror build with every unit,
# in-process and scenario test (CTest labels from doctest test suites; the "soak" tests are
# scripts/soak.sh's), the Python client's tests, then an AddressSanitizer/UndefinedBehaviorSanitizer
# build of the same suite (a few scenarios too heavy for a sanitized cluster on 2 cores say
# "SKIPPED: under the sanitizers: why" there; the reason is beside each in its test).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

echo "== build (warnings are errors)"
# lintian, systemd-analyze, adduser and procps check the Debian package and its units; promtool
# (prometheus) checks every daemon's metrics; python3-zmq, python3-msgpack and python3-pytest run
# the Python client's tests; chromium, chromium-driver and python3-selenium the console's test in a
# real headless browser.
# This build compiles one file at a time (not a unity build), so a file that does not include what
# it uses fails here; the sanitized build below is a unity build (eight files a unit), so two files
# that define the same name fail there.
# Its debug information is line tables only (-g1): the same -O2 code, a quarter less compile time
# per file on 2 cores (gateway_node.cpp: 13.3 s with -g, 10.0 s with -g1); a backtrace still names
# files and lines.
JUPITER_EXTRA_PACKAGES="lintian systemd adduser procps dpkg-dev prometheus python3-zmq python3-msgpack python3-pytest chromium chromium-driver python3-selenium" \
  scripts/setup.sh build -DJUPITER_WERROR=ON -DCMAKE_UNITY_BUILD=OFF "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG"
echo "== tests"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 300 -LE soak
echo "== the Python client's tests (clients/python), against real clusters"
JUPITER_BIN_DIR="$PWD/build/bin" bash clients/python/run_tests.sh
echo "== the live console in headless Chromium (tests/console), against a real cluster"
JUPITER_BIN_DIR="$PWD/build/bin" bash tests/console/run_tests.sh

echo "== build with ASan + UBSan"
# Unoptimised, line tables only (-g1): the sanitizers' reports still name files and lines, and
# each unit compiles about a sixth faster than with -g (gateway_node.cpp: 38.8 s against 31.8 s,
# on a loaded machine).
scripts/setup.sh build-asan -DJUPITER_WERROR=ON -DJUPITER_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1
echo "== tests under sanitizers"
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 600 -LE soak
