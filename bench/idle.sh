#!/usr/bin/env bash
# What an idle cluster costs: the CPU each daemon (and etcd member) of a default cluster uses with
# no client, from /proc/PID/stat (user + system time) over a window, as a share of one core.
#   bench/idle.sh [--seconds S] [--settle S] [BIN_DIR...]      (default: 20 s after 5 s of settling)
# Each BIN_DIR (default build/bin) is measured in turn on a cluster of its own in a temp folder (e.g.
# a build before a change and one after it, in the same run). Prints one line per process and the
# total in cores.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=20
settle=5
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds=$2; shift 2 ;;
        --settle) settle=$2; shift 2 ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] || set -- build/bin
hz=$(getconf CLK_TCK)
cpuTicks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for bin in "$@"; do
    dir=$(mktemp -d /tmp/jupiter-idle.XXXXXX)
    trap '"$bin/jupiter" --dir "$dir" down >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
    "$bin/jupiter" up --dir "$dir" >/dev/null
    sleep "$settle"
    declare -A before=()
    for f in "$dir"/run/*.pid; do before[$f]=$(cpuTicks "$(cat "$f")"); done
    sleep "$seconds"
    total=0
    echo "== $bin: idle for $seconds s"
    for f in "$dir"/run/*.pid; do
        used=$(( $(cpuTicks "$(cat "$f")") - before[$f] ))
        total=$((total + used))
        awk -v n="$(basename "$f" .pid)" -v u="$used" -v hz="$hz" -v s="$seconds" \
            'BEGIN { printf "%-10s %5.1f %% of a core\n", n, 100 * u / hz / s }'
    done
    awk -v u="$total" -v hz="$hz" -v s="$seconds" 'BEGIN { printf "%-10s %5.2f cores\n", "total", u / hz / s }'
    "$bin/jupiter" --dir "$dir" down >/dev/null 2>&1 || true
    rm -rf "$dir"
    trap - EXIT
    unset before
done
