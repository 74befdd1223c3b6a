#!/usr/bin/env bash
# Sets everything up and runs Jupiter's whole test suite: a -Werror build with every unit and
# integration test, then an AddressSanitizer/UndefinedBehaviorSanitizer build of the same suite
# less the layout scenarios (five and one replicas: the same code paths as the three-replica tests)
# and the heaviest scenarios, run once to keep CI's time in bounds: each gateway stopped or killed in
# turn, both brokers killed in turn, the leading command node killed three times, the partitions of
# a lab network and a chaos run of them (under 6-16 clients a sanitized cluster is starved of CPU on
# 2 cores: replicas were judged DOWN for missed heartbeats, not for the fault under test), and a new
# replica replaying 10,000 events (sanitized, it did not answer `verify` within 2 x 5 s); and, to
# keep CI well under its time (47 min in all at stop 21), the other scenarios that spend most of
# their sanitized minute or two writing thousands of commands or repeating faults covered
# elsewhere: a query node killed during 10,000 commands, a lost standby and etcd member, a standby
# behind the leader, the two chaos runs of process faults, every daemon restarted at once; and the
# installed client library's out-of-tree programs (built without the sanitizers, they cannot load
# a sanitized library; the plain build runs them). Their
# code paths (replay, catch-up before leading, restarts) run under the sanitizers in unit tests and
# in the scenarios kept.
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
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 600 -E '^integration/(layout:|durability: kill -9 of either broker|standby command nodes: kill -9 of the leader mid-burst|failover: SIGSTOP then kill -9 of the gateway|partition:|chaos: partitions|durability: a fresh - empty query node|snapshot:|durability: kill -9 of a query node during a burst|standby command nodes: a lost standby|standby command nodes: a standby that is behind|chaos: a seeded run|chaos: killing and stopping|operations: every daemon stopped with SIGTERM|client library:)'
