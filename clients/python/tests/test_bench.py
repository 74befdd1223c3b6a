"""bench.py runs (briefly) against the test cluster: N in flight on one connection, no failure."""

import json
import subprocess
import sys
from pathlib import Path

import bench  # clients/python/bench.py (conftest puts clients/python on sys.path)
from jupiter_client import LAST

from conftest import PKG_ROOT


def test_closed_loop_keeps_n_in_flight(client, seeded):
    for n in (1, 8):
        r = bench.run_load(client, n, 0.3, [seeded["sale"]])
        assert r["failed"] == 0 and r["ok"] > 10, r
        assert r["inflight"] == n and r["per_second"] > 0


def test_bench_script_prints_json(cluster, client, seeded):
    client.query("sales.list", min_seq=LAST)  # the seeded sale is applied before bench.py lists the sales
    out = subprocess.run([sys.executable, str(PKG_ROOT / "bench.py"), "--dir", str(cluster.dir), "--inflight", "2",
                          "--duration", "0.3"], capture_output=True, text=True, timeout=60,
                         env={"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["runs"][0]["inflight"] == 2 and report["runs"][0]["failed"] == 0
    assert Path(PKG_ROOT / "bench.py").exists()
