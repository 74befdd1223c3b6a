"""Fixtures: one real Jupiter cluster for the whole session, started with the built CLI.

The binaries come from $JUPITER_BIN_DIR (default: the repository's build/bin, i.e.
clients/python/../../build/bin). The cluster lives in a temporary folder on a free loopback port
range, with a small layout (2 query replicas, 1 command node: no etcd; 2 gateways, 2 brokers),
and is ALWAYS stopped at the end (`jupiter down`, then SIGKILL of any daemon of that folder still
alive). Every test is bounded in time by SIGALRM (no pytest-timeout needed).
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PKG_ROOT = HERE.parent
sys.path.insert(0, str(PKG_ROOT))

from jupiter_client import Client, load_cluster  # noqa: E402

BIN_DIR = Path(os.environ.get("JUPITER_BIN_DIR") or (PKG_ROOT / ".." / ".." / "build" / "bin")).resolve()
TEST_TIMEOUT_S = int(os.environ.get("JUPITER_TEST_TIMEOUT", "90"))
PORTS_NEEDED = 64
UP_TIMEOUT_S = 120
DOWN_TIMEOUT_S = 60


# ---- bounded tests ---------------------------------------------------------------------------

class TestTimedOut(Exception):
    pass


@pytest.fixture(autouse=True)
def _bounded(request):
    """Fails a test that runs longer than JUPITER_TEST_TIMEOUT seconds (90)."""
    limit = TEST_TIMEOUT_S
    marker = request.node.get_closest_marker("timeout_s")
    if marker:
        limit = int(marker.args[0])

    def on_alarm(signum, frame):
        raise TestTimedOut(f"{request.node.nodeid} ran longer than {limit} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(limit)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# ---- the cluster -----------------------------------------------------------------------------

def _port_free(port: int) -> bool:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port_range(n: int = PORTS_NEEDED) -> int:
    rng = random.Random(os.getpid() ^ int(time.time()))
    for _ in range(200):
        # Below Linux's ephemeral range (32768+): an outgoing connection of the cluster itself (or of
        # anything else) may take any port there, e.g. one of ours between `down` and the next `up`.
        base = rng.randrange(20000, 32768 - n)
        if all(_port_free(p) for p in range(base, base + n)):
            return base
    raise RuntimeError(f"no {n} consecutive free loopback ports found")


class Cluster:
    """A running cluster in `dir`, driven with the `jupiter` CLI."""

    def __init__(self, bin_dir: Path, dir: Path, base_port: int):
        self.bin_dir = bin_dir
        self.dir = dir
        self.base_port = base_port
        self.jupiter = str(bin_dir / "jupiter")

    def cli(self, *args: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [self.jupiter, *args, "--dir", str(self.dir)]
        env = dict(os.environ)
        env.pop("JUPITER_KEY", None)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}")
        return r

    @property
    def keys_dir(self) -> Path:
        return self.dir / "keys"

    def client(self, **kwargs) -> Client:
        kwargs.setdefault("timeout", 15.0)
        kwargs.setdefault("client_cert", self.keys_dir / "admin.key_secret")  # not $JUPITER_KEY
        return Client(cluster_dir=self.dir, **kwargs)

    def gateways(self):
        return load_cluster(self.dir).gateways

    def pids(self):
        """pid of every daemon of this folder that is alive (from DIR/run/*.pid)."""
        out = {}
        run = self.dir / "run"
        if not run.is_dir():
            return out
        for f in run.glob("*.pid"):
            try:
                pid = int(f.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
            if _is_daemon_of(pid, self.dir):
                out[f.stem] = pid
        return out

    def up(self, *extra: str) -> None:
        self.cli("up", "--base-port", str(self.base_port), *extra, timeout=UP_TIMEOUT_S)

    def down(self) -> None:
        try:
            self.cli("down", timeout=DOWN_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            pass
        self.kill_leftovers()

    def kill_leftovers(self) -> None:
        for node, pid in self.pids().items():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def wait_ready(self, timeout: float = 20.0) -> None:
        """Until a command and a query both succeed through the gateways."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                with self.client(timeout=3.0) as c:
                    c.query("inventory.value")
                    c.ping()
                    return
            except Exception as e:  # noqa: BLE001
                last = e
                time.sleep(0.2)
        raise RuntimeError(f"cluster in {self.dir} not ready: {last!r}")


def _is_daemon_of(pid: int, dir: Path) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return bool(cmdline) and b"jupiter" in cmdline[0] and any(str(dir).encode() in a for a in cmdline)


def start_cluster(tmp: Path, attempts: int = 3) -> Cluster:
    """A cluster in tmp/cluster* on a free port range, started and ready; another range is tried
    when one fails (a port taken meanwhile by someone else: the range was free when chosen)."""
    for attempt in range(attempts):
        c = Cluster(BIN_DIR, tmp / ("cluster" if attempt == 0 else f"cluster{attempt + 1}"), free_port_range())
        try:
            c.up("--replicas", "2", "--commands", "1")
            c.wait_ready()
            return c
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            c.down()
            if attempt + 1 == attempts:
                raise
            print(f"cluster start on ports {c.base_port}+ failed, trying others: {str(e)[-300:]}", file=sys.stderr)
            shutil.rmtree(c.dir, ignore_errors=True)
    raise AssertionError("unreachable")


@contextlib.contextmanager
def own_cluster(prefix: str = "jupiter-py-"):
    """A cluster of its own in a new temporary folder, always stopped and removed afterwards."""
    if not (BIN_DIR / "jupiter").exists():
        pytest.fail(f"no jupiter CLI in {BIN_DIR}: build the C++ code (scripts/setup.sh) or set JUPITER_BIN_DIR")
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    c = None
    try:
        c = start_cluster(tmp)
        yield c
    finally:
        if c is not None:
            c.down()
        for d in tmp.glob("cluster*"):  # whatever a failed start left running
            Cluster(BIN_DIR, d, 0).kill_leftovers()
        if os.environ.get("JUPITER_KEEP_DIR"):
            print(f"cluster folder kept: {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def cluster():
    with own_cluster() as c:
        yield c


@pytest.fixture
def client(cluster):
    c = cluster.client()
    try:
        yield c
    finally:
        c.close()


def unique(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


@pytest.fixture
def seeded(client):
    """A seller, a product with 20 units of stock and one sale of 2 units, made for this test."""
    tag = unique()
    seller = client.send("seller.create", first_name="Ana", last_name="Ruiz", doc_type="CEDULA", doc_number=tag,
                         phone="3001234567")
    product = client.send("product.create", code=f"P-{tag}", description="Pen", price=2.5)
    client.send("stock.receive", product=product["id"], quantity=20)
    sale = client.send("sale.create", seller=seller["id"], product=product["id"], quantity=2, client="Luz Gómez",
                       invoice=f"F-{tag}")
    return {"seller": seller["id"], "product": product["id"], "sale": sale["id"], "tag": tag, "seq": sale["seq"]}
