#!/usr/bin/env bash
# Sets everything up and runs the soak tests: the scenarios too long, repeated or load-heavy for
# every CI run (chaos runs, 10,000-command bursts around faults, state copies under load), labelled
# "soak" (their doctest test suite). Not in CI; run it before a release or after touching
# replication, snapshots or the chaos tool. `--repeat N` runs each N times (until one fails).
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=1
if [ "${1:-}" = "--repeat" ]; then repeat="${2:?--repeat needs a count}"; fi
scripts/setup.sh build -DJUPITER_WERROR=ON
ctest --test-dir build --output-on-failure -L soak --timeout 600 --repeat "until-fail:$repeat"
