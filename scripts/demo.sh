#!/usr/bin/env bash
# Sets everything up and runs Jupiter's main job: start a cluster as daemons, send commands,
# query the replicas, kill the replica in use while queries run, watch the monitor see it and the
# gateways reroute (no query fails), restart it, watch the fail-back; then kill a gateway and a
# broker under load (the clients fail over, nothing fails), kill the leading command node under a
# command load (a standby takes over, no command fails), and stop the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build >/dev/null
export PATH="$PWD/build/bin:$PATH"
if [ -z "${JUPITER_DIR:-}" ]; then
  JUPITER_DIR=$(mktemp -d /tmp/jupiter-demo.XXXXXX)
  made_here=1
fi
export JUPITER_DIR
trap 'jupiter down >/dev/null 2>&1 || true' EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# Echo each command as it would be typed (key="two words" quoted), then run it.
run() {
    printf '$'
    for a in "$@"; do
        if [[ $a =~ [[:space:]] ]]; then
            if [[ $a == *=* ]]; then printf ' %s="%s"' "${a%%=*}" "${a#*=}"; else printf ' "%s"' "$a"; fi
        else
            printf ' %s' "$a"
        fi
    done
    printf '\n'
    "$@"
}

step "Start the cluster (two brokers, command node, three query nodes, monitor, two gateways)"
run jupiter up --base-port "${JUPITER_BASE_PORT:-7700}"
echo "# the live console: open this address in a browser to watch what follows"
run jupiter console

step "Send commands through the gateways"
run jupiter send seller.create first_name=Ana last_name=Ruiz doc_type=CEDULA doc_number=1020 phone=3001234567
run jupiter send seller.create first_name=Luis last_name=Mora doc_type=PASAPORTE doc_number=AX77 phone=3109876543
run jupiter send product.create code=LAP-14 description="Laptop 14in" price=1299.90
run jupiter send product.create code=MOU-01 description="Mouse" price=19.50
run jupiter send stock.receive product=1 quantity=12
run jupiter send stock.receive product=2 quantity=40
run jupiter send sale.create seller=1 product=1 quantity=2 client="Luz Gómez" invoice=F-0001
run jupiter send sale.create seller=2 product=2 quantity=5 client="Pedro Díaz" invoice=F-0002
step "A command that breaks a rule is rejected with its reason (exit code 1)"
run jupiter send sale.create seller=1 product=1 quantity=99 client=Eva invoice=F-0003 || true

step "Queries (read your own writes: the CLI waits for the sequence of its last send)"
run jupiter query sales.list
run jupiter query products.list
run jupiter query seller.get id=1
step "Every replica has the same data"
for r in 1 2 3; do run jupiter query inventory.value --replica "$r"; done
run jupiter status

step "Kill -9 the replica in use while a client sends queries"
jupiter watch --for 4000 &
watcher=$!
jupiter-bench queries --clients 4 --duration 3000 --quiet > "$JUPITER_DIR/load.txt" &
load=$!
sleep 1
run jupiter kill query-1 --signal KILL
wait "$load"; wait "$watcher" || true
echo "query load while query-1 died:"; cat "$JUPITER_DIR/load.txt"
run jupiter status

step "Restart it: the gateways fail back to query-1"
jupiter watch --for 2500 &
watcher=$!
sleep 0.2
run jupiter start query-1
wait "$watcher" || true
run jupiter query inventory.value

step "Kill -9 a gateway, then a broker, while clients send queries and commands: they fail over"
jupiter-bench queries --clients 4 --duration 4000 --quiet > "$JUPITER_DIR/queries.txt" &
queries=$!
jupiter-bench commands --clients 4 --duration 4000 --quiet > "$JUPITER_DIR/commands.txt" &
commands=$!
sleep 1
run jupiter kill gateway-1 --signal KILL
sleep 1
run jupiter kill broker-1 --signal KILL
wait "$queries"; wait "$commands"
echo "queries meanwhile:";  cat "$JUPITER_DIR/queries.txt"
echo "commands meanwhile:"; cat "$JUPITER_DIR/commands.txt"
run jupiter start gateway-1
run jupiter start broker-1
run jupiter verify

step "Kill -9 the leading command node while clients send commands: a standby takes over"
leader=$(jupiter status --json | grep -o '"leader": "[^"]*"' | head -1 | cut -d'"' -f4)
jupiter-bench commands --clients 4 --duration 5000 --quiet > "$JUPITER_DIR/commands.txt" &
commands=$!
sleep 1
run jupiter kill "$leader" --signal KILL
wait "$commands"
echo "commands meanwhile (none failed; the longest gap is the takeover):"; cat "$JUPITER_DIR/commands.txt"
run jupiter status
run jupiter start "$leader"
run jupiter verify

step "The monitor's transition log"
cat "$JUPITER_DIR/log/transitions.log"

step "Stop the cluster"
run jupiter down
trap - EXIT
if [ -n "${made_here:-}" ]; then
  # etcd preallocates ~120 MB of log per member; the demo's own folder keeps only logs and stores.
  rm -rf "$JUPITER_DIR/etcd"
  echo "logs, stores and the transition log are in $JUPITER_DIR"
fi
