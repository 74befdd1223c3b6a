#!/usr/bin/env bash
# How long a one-shot `jupiter query` takes with both gateways up, with gateway-1 killed, and with
# gateway-1 stopped (SIGSTOP): the CLI starts, connects, asks, prints and exits each time, as a
# script calling it in a loop does. Several CLI builds can be measured on the same cluster, in
# turn, round after round (e.g. the one before a change and the one after it).
#   bench/oneshot.sh [--runs N] [--rounds R] CLI [CLI...]     (default: 10 runs, 3 rounds)
# Starts its own default cluster (build/bin's daemons) in a temporary folder and stops it.
# Prints, per case and CLI, the median and the mean wall time of a run in milliseconds.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=10
rounds=3
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] || { echo "usage: bench/oneshot.sh [--runs N] [--rounds R] CLI [CLI...]" >&2; exit 2; }
export PATH="$PWD/build/bin:$PATH"
dir=$(mktemp -d /tmp/jupiter-oneshot.XXXXXX)
cleanup() {
    jupiter --dir "$dir" kill gateway-1 --signal CONT >/dev/null 2>&1 || true
    jupiter --dir "$dir" down >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT
jupiter up --dir "$dir" >/dev/null
jupiter --dir "$dir" send product.create code=P1 description=bench price=1 >/dev/null

# One case: every CLI, `runs` queries each, times in ms on one line per CLI.
measure() {
    local case=$1 cli
    for cli in "${@:2}"; do
        local times=()
        for _ in $(seq "$runs"); do
            local t0 t1
            t0=$(date +%s%N)
            "$cli" --dir "$dir" query inventory.value >/dev/null
            t1=$(date +%s%N)
            times+=($(((t1 - t0) / 1000000)))
        done
        printf '%s\t%s\t%s\n' "$case" "$cli" "${times[*]}"
    done
}

{
    for _ in $(seq "$rounds"); do
        measure "both gateways up" "$@"
        jupiter --dir "$dir" kill gateway-1 --signal KILL >/dev/null
        measure "gateway-1 killed" "$@"
        jupiter --dir "$dir" start gateway-1 >/dev/null
        jupiter --dir "$dir" kill gateway-1 --signal STOP >/dev/null
        measure "gateway-1 stopped" "$@"
        jupiter --dir "$dir" kill gateway-1 --signal CONT >/dev/null
        sleep 1  # its clients and the replicas see it again
    done
} | python3 -c '
import statistics, sys
rows = {}
for line in sys.stdin:
    case, cli, times = line.rstrip("\n").split("\t")
    rows.setdefault((case, cli), []).extend(int(t) for t in times.split())
print("%-20s %-40s %9s %9s %5s" % ("case", "cli", "median", "mean", "runs"))
for (case, cli), t in rows.items():
    print(f"{case:<20} {cli:<40} {statistics.median(t):6.0f} ms {statistics.mean(t):6.0f} ms {len(t):5d}")
'
