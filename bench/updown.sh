#!/usr/bin/env bash
# How long `jupiter up` and `jupiter down` take for a default cluster (11 daemons, 3 etcd members):
# what every scenario test, `jupiter-bench` run and demo pays before and after its work.
#   bench/updown.sh [--rounds N] [BIN_DIR...]      (default: 3 rounds of build/bin)
# Each round starts and stops one cluster per BIN_DIR in turn (e.g. a build before a change and
# one after it, alternating in the same run), each in a temp folder, and prints the wall times.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3
if [ "${1:-}" = "--rounds" ]; then rounds=$2; shift 2; fi
[ $# -ge 1 ] || set -- build/bin
seconds() { date +%s.%N; }
for ((r = 1; r <= rounds; r++)); do
    for bin in "$@"; do
        dir=$(mktemp -d /tmp/jupiter-updown.XXXXXX)
        t0=$(seconds)
        "$bin/jupiter" up --dir "$dir" >/dev/null
        t1=$(seconds)
        "$bin/jupiter" down --dir "$dir" >/dev/null
        t2=$(seconds)
        rm -rf "$dir"
        awk -v r="$r" -v b="$bin" -v a="$t0" -v m="$t1" -v z="$t2" \
            'BEGIN { printf "round %d  %-40s up %5.2f s  down %5.2f s\n", r, b, m - a, z - m }'
    done
done
