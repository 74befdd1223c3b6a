#!/usr/bin/python3
"""Queries/s of the Python client with N requests in flight on ONE connection.

    PYTHONPATH=clients/python python3 clients/python/bench.py --dir ./jupiter-data [--inflight 1,8,64]
        [--duration 3] [--seed] [--compare]

The load is the one `jupiter bench queries` uses: sale.get over the sales that exist (the first
100 of sales.list), a closed loop keeping exactly N queries in flight (a new one is sent as soon as
one is answered). Prints one JSON document: per N, queries/s, latency percentiles (µs) and
failures. With --compare it also runs `jupiter bench queries --clients N` (the C++ client: N
FailoverClients with one query each) right after each Python run, on the same cluster, and gives
the ratio python/cpp.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from jupiter_client import Client, JupiterError  # noqa: E402


def percentile(sorted_values, q):
    if not sorted_values:
        return 0
    k = min(len(sorted_values) - 1, max(0, int(round(q * (len(sorted_values) - 1)))))
    return sorted_values[k]


def seed(client: Client) -> None:
    """10 sellers, 10 products with stock, 100 sales (as `jupiter bench --seed`)."""
    tag = os.urandom(4).hex()
    sellers = [client.send("seller.create", first_name=f"S{i}", last_name="Bench", doc_type="CEDULA",
                           doc_number=f"b{tag}-{i}", phone="300")["id"] for i in range(10)]
    products = [client.send("product.create", code=f"B{tag}-{i}", description=f"bench product {i}",
                            price=1.5 + i)["id"] for i in range(10)]
    for p in products:
        client.send("stock.receive", product=p, quantity=1000)
    handles = [client.submit_command("sale.create", seller=sellers[i % 10], product=products[i % 10], quantity=1,
                                     client=f"c{i}", invoice=f"B{tag}-{i}") for i in range(100)]
    client.gather(handles)


def sale_ids(client: Client):
    return [row["id"] for row in client.query("sales.list", limit=100)["items"]]


def run_load(client: Client, inflight: int, duration: float, ids):
    lat = []
    failed = 0
    errors = {}
    n = 0
    stop_at = 0.0
    live = 0
    state = {"n": 0}

    def make():
        i = state["n"]
        state["n"] = i + 1
        if ids:
            return client.submit_query("sale.get", id=ids[i % len(ids)])
        return client.submit_query("inventory.value")

    def on_done(p):
        nonlocal failed, live
        live -= 1
        err = p._error
        if err is None:
            lat.append(p.finished_at - p.started)
        else:
            failed += 1
            errors[err.code] = errors.get(err.code, 0) + 1
        if time.monotonic() < stop_at:
            start_one()

    def start_one():
        nonlocal live
        live += 1
        make().add_done_callback(on_done)

    # warm-up: one round trip, so the connection is made
    client.query("inventory.value")
    t0 = time.monotonic()
    stop_at = t0 + duration
    for _ in range(inflight):
        start_one()
    while live:
        client.pump(0.005)
    wall = time.monotonic() - t0
    lat.sort()
    ok = len(lat)
    n = ok + failed
    return {"inflight": inflight, "ok": ok, "failed": failed, "errors": errors,
            "per_second": round(ok / wall) if wall > 0 else 0, "wall_seconds": round(wall, 3),
            "p50_us": round(percentile(lat, 0.50) * 1e6), "p99_us": round(percentile(lat, 0.99) * 1e6),
            "max_us": round((lat[-1] if lat else 0) * 1e6), "requests": n}


def cpp_bench(bin_dir: Path, cluster_dir: str, clients: int, duration: float):
    cmd = [str(bin_dir / "jupiter"), "bench", "queries", "--dir", cluster_dir, "--clients", str(clients),
           "--duration", str(int(duration * 1000))]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    try:
        d = json.loads(r.stdout)
    except ValueError:
        return {"error": f"`{' '.join(cmd)}` exited {r.returncode}: {r.stderr.strip()[-500:]}"}
    return {"clients": clients, "per_second": d.get("per_second"), "p50_us": d.get("p50_us"),
            "p99_us": d.get("p99_us"), "failed": d.get("failed")}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default=os.environ.get("JUPITER_DIR", "./jupiter-data"), help="cluster folder")
    ap.add_argument("--key", default=None, help="client secret key (default: $JUPITER_KEY, else DIR/keys/admin)")
    ap.add_argument("--inflight", default="1,8,64", help="requests in flight, comma-separated (default 1,8,64)")
    ap.add_argument("--duration", type=float, default=3.0, help="seconds per load (default 3)")
    ap.add_argument("--seed", action="store_true", help="create sales first when the cluster has none")
    ap.add_argument("--compare", action="store_true", help="also run `jupiter bench queries --clients N` for each N")
    ap.add_argument("--bin-dir", default=os.environ.get("JUPITER_BIN_DIR") or
                    str(Path(__file__).resolve().parent / ".." / ".." / "build" / "bin"))
    ap.add_argument("--json", default=None, help="also write the report to this file")
    a = ap.parse_args(argv)
    levels = [int(x) for x in a.inflight.split(",") if x.strip()]
    report = {"client": "python", "target": "gateway", "query": "sale.get", "duration_s": a.duration, "runs": []}
    with Client.from_cluster(a.dir, key=a.key) as c:
        try:
            ids = sale_ids(c)
            if not ids and a.seed:
                seed(c)
                ids = sale_ids(c)
        except JupiterError as e:
            print(f"bench.py: cannot read the cluster in {a.dir}: {e}", file=sys.stderr)
            return 2
        if not ids:
            print(f"bench.py: the cluster in {a.dir} has no sales to read (sale.get load); add --seed", file=sys.stderr)
            return 2
        report["sales"] = len(ids)
        for n in levels:
            run = run_load(c, n, a.duration, ids)
            if a.compare:
                cpp = cpp_bench(Path(a.bin_dir).resolve(), a.dir, n, a.duration)
                run["cpp"] = cpp
                if isinstance(cpp.get("per_second"), (int, float)) and cpp["per_second"]:
                    run["ratio_python_cpp"] = round(run["per_second"] / cpp["per_second"], 3)
            report["runs"].append(run)
    out = json.dumps(report, indent=2)
    print(out)
    if a.json:
        Path(a.json).write_text(out + "\n")
    return 0 if all(r["failed"] == 0 for r in report["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
