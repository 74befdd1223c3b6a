#!/usr/bin/env bash
# Sets everything up and runs Jupiter's whole test suite: a -Werror build with every unit and
# integration test, the Python client's tests, then an AddressSanitizer/UndefinedBehaviorSanitizer
# build of the same suite less the integration scenarios listed, each with its reason, in
# tests/sanitizer-skip.txt (CPU-starved clusters on 2 cores, and CI's time).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

echo "== build (warnings are errors)"
# lintian, systemd-analyze, adduser and procps check the Debian package and its units; promtool
# (prometheus) checks every daemon's metrics; python3-zmq, python3-msgpack and python3-pytest run
# the Python client's tests.
JUPITER_EXTRA_PACKAGES="lintian systemd adduser procps dpkg-dev prometheus python3-zmq python3-msgpack python3-pytest" \
  scripts/setup.sh build -DJUPITER_WERROR=ON
echo "== tests"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 300
echo "== the Python client's tests (clients/python), against real clusters"
JUPITER_BIN_DIR="$PWD/build/bin" bash clients/python/run_tests.sh

echo "== build with ASan + UBSan"
scripts/setup.sh build-asan -DJUPITER_WERROR=ON -DJUPITER_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
echo "== tests under sanitizers"
# The scenarios left out (tests/sanitizer-skip.txt: a name prefix a line, then '# why'); an entry
# that names no test is an error, so a renamed scenario cannot slip into or out of the list unseen.
mapfile -t skipped < <(sed -e '/^#/d' -e '/^[[:space:]]*$/d' -e 's/[[:space:]]*#.*$//' tests/sanitizer-skip.txt)
for prefix in "${skipped[@]}"; do
  [ "$(ctest --test-dir build-asan -N -R "^integration/$prefix" | grep -c 'Test *#')" -gt 0 ] ||
    { echo "tests/sanitizer-skip.txt: '$prefix' names no integration test" >&2; exit 1; }
done
skip=$(IFS='|'; echo "${skipped[*]}")
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 600 -E "^integration/($skip)"
