#!/usr/bin/env bash
# Sets everything up and runs Jupiter's whole test suite, each test once, in the build that can
# carry it (CTest labels from doctest test suites):
# - a -Werror build, each file compiled alone (not a unity build): the unit and in-process tests,
#   the "heavy" scenarios (a sanitized cluster under their load starves on 2 cores; the reason
#   beside each), the Debian package, the Python client's tests and the console's in a real
#   headless browser;
# - an AddressSanitizer/UndefinedBehaviorSanitizer build (a unity build): the unit and in-process
#   tests again and every other scenario (real daemons as separate processes).
# The "soak" tests are scripts/soak.sh's. Each phase's time is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
phases=""
phase_start=$SECONDS
# Ends the phase under way (its name and minutes go to the summary) and announces the next.
phase() {
  if [ -n "${current:-}" ]; then
    phases+=$(awk -v n="$current" -v s=$((SECONDS - phase_start)) 'BEGIN { printf "  %-52s %5.1f min", n, s / 60 }')$'\n'
  fi
  current="${1:-}"
  phase_start=$SECONDS
  [ -z "$current" ] || echo "== $current"
}
# At the end, passed or not: each phase's minutes (a failed run names the phase it stopped in).
summary() {
  local rc=$? failed=${current:-}
  phase
  if [ "$rc" -eq 0 ]; then
    awk -v s=$SECONDS 'BEGIN { printf "== every phase passed, in %.1f min:\n", s / 60 }'
  else
    awk -v s=$SECONDS -v p="$failed" 'BEGIN { printf "== FAILED in \"%s\", after %.1f min:\n", p, s / 60 }'
  fi
  printf '%s' "$phases"
}
trap summary EXIT

phase "build (warnings are errors)"
# lintian, systemd-analyze, adduser and procps check the Debian package and its units; promtool
# (prometheus) checks every daemon's metrics; python3-zmq, python3-msgpack and python3-pytest run
# the Python client's tests; chromium, chromium-driver and python3-selenium the console's test in a
# real headless browser.
# This build compiles one file at a time (not a unity build), so a file that does not include what
# it uses fails here; the sanitized build below is a unity build (eight files a unit), so two files
# that define the same name fail there. Both are compiled by Clang (scripts/setup.sh): 5.8 min for
# this build from scratch on 2 cores, against 8.7-9.5 with GCC 12, and the sanitized one 2.6 against
# 5.7-6.2, its tests running in about half the time. The heavy scenarios passed sanitized in most
# runs with Clang, not all (BENCHMARKS.md, "The suite: built by Clang"): they stay here.
# Its debug information is line tables only (-g1): the same -O2 code, a quarter less compile time
# per file; a backtrace still names files and lines. Test code is compiled unoptimised in both
# builds (tests/CMakeLists.txt), and the sanitized build's programs are not position-independent
# (they start in half the time).
JUPITER_EXTRA_PACKAGES="lintian systemd adduser procps dpkg-dev prometheus python3-zmq python3-msgpack python3-pytest chromium chromium-driver python3-selenium" \
  scripts/setup.sh build -DJUPITER_WERROR=ON -DCMAKE_UNITY_BUILD=OFF "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG"
phase "tests: unit, in-process, heavy scenarios, package"
ctest --test-dir build --output-on-failure -j "$jobs" --timeout 300 -LE "scenario|soak"
phase "the Python client's tests (clients/python)"
JUPITER_BIN_DIR="$PWD/build/bin" bash clients/python/run_tests.sh
phase "the live console in headless Chromium (tests/console)"
JUPITER_BIN_DIR="$PWD/build/bin" bash tests/console/run_tests.sh

phase "build with ASan + UBSan"
# Unoptimised, line tables only (-g1): the sanitizers' reports still name files and lines.
scripts/setup.sh build-asan -DJUPITER_WERROR=ON -DJUPITER_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1
phase "tests under sanitizers: unit, in-process, scenarios"
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 600 -LE "heavy|soak"
