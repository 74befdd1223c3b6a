#!/usr/bin/env bash
# The same loads on builds side by side: for each BIN_DIR in turn, a fresh default cluster of its own
# in a temp folder (started by that build's `jupiter up`), then queries through the gateways and
# straight to query-1 at 64 clients, durable commands at 64 clients and queries at 1 client, each
# by this checkout's jupiter-bench (one summary line each, with the CPU each daemon used).
#   bench/ab_load.sh [--ms 4000] OLD_BIN_DIR NEW_BIN_DIR [OLD_BIN_DIR NEW_BIN_DIR ...]
set -euo pipefail
cd "$(dirname "$0")/.."
ms=4000
if [ "${1:-}" = "--ms" ]; then ms=$2; shift 2; fi
[ $# -ge 1 ] || { echo "usage: bench/ab_load.sh [--ms MS] BIN_DIR..." >&2; exit 2; }
bench=build/bin/jupiter-bench
for bin in "$@"; do
    dir=$(mktemp -d /tmp/jupiter-ab.XXXXXX)
    trap '"$bin/jupiter" --dir "$dir" down >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
    "$bin/jupiter" up --dir "$dir" >/dev/null
    sleep 2
    echo "== $bin"
    "$bench" queries --dir "$dir" --seed --clients 64 --duration "$ms" --quiet
    "$bench" queries --dir "$dir" --clients 64 --duration "$ms" --quiet --replica 1
    "$bench" commands --dir "$dir" --seed --clients 64 --duration "$ms" --quiet
    "$bench" queries --dir "$dir" --clients 1 --duration "$ms" --quiet
    "$bin/jupiter" --dir "$dir" down >/dev/null 2>&1 || true
    rm -rf "$dir"
    trap - EXIT
done
