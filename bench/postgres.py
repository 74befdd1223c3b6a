#!/usr/bin/python3
"""Jupiter beside PostgreSQL, in the same run on the same machine: what a user would pick instead.

PostgreSQL 15 from Debian (a benchmark dependency only: `apt-get install postgresql`), a primary and
one synchronous standby (`synchronous_commit = on`, fsync on both) on loopback in a temporary folder,
loaded by pgbench over TCP with prepared statements; Jupiter's default layout (CURVE on: two gateways,
two brokers, a leader and two standbys, three replicas), loaded by `jupiter-bench`. For each number of
clients and each load, the two are measured in turn, several rounds, the other one frozen (SIGSTOP)
meanwhile, so that an idle system costs the measured one nothing and drift on the machine hits both.

  loads   durable writes:  Jupiter stock.receive (acknowledged once on the leader's disk and a
                           standby's) | PostgreSQL INSERT of one row (committed on the primary's disk
                           and the standby's)
          reads by key:    Jupiter sale.get through the gateways, and straight to one replica |
                           PostgreSQL SELECT ... WHERE id = $1

Usage: bench/postgres.py [--bin build/bin] [--clients 8,64,256] [--seconds 15] [--rounds 3]
                         [--json FILE] [--base-port 7900] [--pg-port 7990]
Prints a table of rates, p99 latencies and ratios (Jupiter / PostgreSQL), then the CPU each spent per
request, by process; --json writes every run. Keep runs at 15 s or more: PostgreSQL starts a process
per connection, and 256 of them take seconds on 2 cores, which a short run measures instead of the load.
Everything it starts is stopped and removed at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
SETTLE_S = 2.0  # after SIGCONT: heartbeats resume, nodes are judged UP again
ROWS = 10000     # rows the reads pick from (both systems)


def log(msg: str) -> None:
    print(f"postgres.py: {msg}", file=sys.stderr, flush=True)


def run(cmd, **kw) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {r.returncode}:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return r


def descendants(pids: list[int]) -> list[int]:
    """The processes and all their children (PostgreSQL's backends, walsender, walreceiver...)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d.name))
    out, todo = [], list(pids)
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pids: list[int]) -> float:
    """CPU time of these processes, with that of the children they have reaped (a backend's, once its
    connection ends, goes to the postmaster's)."""
    ticks = 0
    for p in pids:
        try:
            f = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        ticks += sum(int(x) for x in f[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def signal_all(pids: list[int], sig: int) -> None:
    for p in pids:
        try:
            os.kill(p, sig)
        except ProcessLookupError:
            pass


class Postgres:
    """A primary and one synchronous standby in `dir`, run as the postgres account when we are root."""

    def __init__(self, dir: Path, port: int):
        self.dir, self.port = dir, port
        self.primary, self.standby = dir / "primary", dir / "standby"
        self.as_user = []
        if os.geteuid() == 0:
            self.as_user = ["runuser", "-u", "postgres", "--"]
            pw = pwd.getpwnam("postgres")
            os.chown(dir, pw.pw_uid, pw.pw_gid)

    def pg(self, tool: str, *args: str) -> subprocess.CompletedProcess:
        return run([*self.as_user, str(PG_BIN / tool), *args], cwd="/")

    def sql(self, query: str, port: int | None = None) -> str:
        return self.pg("psql", "-h", "127.0.0.1", "-p", str(port or self.port), "-d", "bench", "-Atqc", query).stdout

    def start(self) -> None:
        self.pg("initdb", "-D", str(self.primary), "-A", "trust", "-U", "postgres", "--no-sync")
        with open(self.primary / "postgresql.conf", "a") as f:
            f.write(f"""
port = {self.port}
listen_addresses = '127.0.0.1'
unix_socket_directories = '{self.dir}'
max_connections = 300
shared_buffers = 256MB
wal_level = replica
max_wal_senders = 4
synchronous_standby_names = 'standby'
synchronous_commit = on
fsync = on
""")
        with open(self.primary / "pg_hba.conf", "a") as f:
            f.write("host replication all 127.0.0.1/32 trust\n")
        self.pg("pg_ctl", "-D", str(self.primary), "-l", str(self.dir / "primary.log"), "-w", "start")
        self.pg("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-D", str(self.standby),
                "-X", "stream", "--no-sync")
        with open(self.standby / "postgresql.conf", "a") as f:
            f.write(f"\nport = {self.port + 1}\nprimary_conninfo = 'host=127.0.0.1 port={self.port} user=postgres "
                    f"application_name=standby'\n")
        (self.standby / "standby.signal").touch()
        if self.as_user:
            pw = pwd.getpwnam("postgres")
            os.chown(self.standby / "standby.signal", pw.pw_uid, pw.pw_gid)
        self.pg("pg_ctl", "-D", str(self.standby), "-l", str(self.dir / "standby.log"), "-w", "start")
        self.pg("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "bench")
        deadline = time.monotonic() + 30
        while self.sql("SELECT sync_state FROM pg_stat_replication").strip() != "sync":
            if time.monotonic() > deadline:
                raise RuntimeError("the standby did not become synchronous within 30 s (see standby.log)")
            time.sleep(0.2)
        self.sql("CREATE TABLE sales (id bigserial PRIMARY KEY, seller int NOT NULL, product int NOT NULL, "
                 "quantity int NOT NULL, client text NOT NULL, invoice text NOT NULL, total numeric NOT NULL, "
                 "at timestamptz NOT NULL DEFAULT now())")
        self.sql(f"INSERT INTO sales (seller, product, quantity, client, invoice, total) SELECT 1 + i % 10, "
                 f"1 + i % 10, 1, 'Luz', 'F-' || i, 2.5 FROM generate_series(1, {ROWS}) i")
        (self.dir / "write.sql").write_text(
            "INSERT INTO sales (seller, product, quantity, client, invoice, total) "
            "VALUES (1, 1, 1, 'bench', 'F-' || :client_id, 2.5);\n")
        (self.dir / "read.sql").write_text(f"\\set id random(1, {ROWS})\nSELECT * FROM sales WHERE id = :id;\n")

    def pids(self) -> list[int]:
        roots = []
        for d in (self.primary, self.standby):
            try:
                roots.append(int((d / "postmaster.pid").read_text().split()[0]))
            except (OSError, ValueError, IndexError):
                pass
        return descendants(roots)

    def measure(self, load: str, clients: int, seconds: int) -> dict:
        prefix = self.dir / f"lat-{load}-{clients}-{time.monotonic_ns()}"
        threads = min(clients, os.cpu_count() or 2)
        before, load_before = cpu_seconds(self.pids()), children_cpu()
        r = self.pg("pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", str(threads), "-T", str(seconds),
                    "-f", str(self.dir / f"{load}.sql"), "-l", "--log-prefix", str(prefix), "-h", "127.0.0.1",
                    "-p", str(self.port), "-U", "postgres", "bench")
        server_cpu, load_cpu = cpu_seconds(self.pids()) - before, children_cpu() - load_before
        tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", r.stdout)
        failed = re.search(r"number of failed transactions: (\d+)", r.stdout)
        latencies = []
        for f in self.dir.glob(prefix.name + "*"):
            for line in f.read_text().splitlines():
                fields = line.split()
                if len(fields) >= 3 and fields[2].isdigit():
                    latencies.append(int(fields[2]))
            f.unlink()
        latencies.sort()
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0
        return {"per_second": float(tps.group(1)) if tps else 0.0, "p99_us": p99,
                "failed": int(failed.group(1)) if failed else 0, "transactions": len(latencies),
                "cpu_seconds": {"postgres": round(server_cpu, 3)}, "load_cpu_seconds": round(load_cpu, 3)}

    def stop(self) -> None:
        for d in (self.standby, self.primary):
            if (d / "postmaster.pid").exists():
                subprocess.run([*self.as_user, str(PG_BIN / "pg_ctl"), "-D", str(d), "-m", "immediate", "-w", "stop"],
                               capture_output=True, cwd="/")


class Jupiter:
    """Jupiter's default layout in `dir`, started and loaded with the built tools."""

    def __init__(self, bin_dir: Path, dir: Path, base_port: int):
        self.bin, self.dir, self.base_port = bin_dir, dir, base_port

    def start(self) -> None:
        run([str(self.bin / "jupiter"), "up", "--dir", str(self.dir), "--base-port", str(self.base_port)], timeout=180)
        # The rows the reads pick from (sale.get of random ids), made before any figure is taken.
        self.measure("queries", 8, 1, seed=True)

    def pids(self) -> list[int]:
        out = []
        for f in (self.dir / "run").glob("*.pid"):
            try:
                out.append(int(f.read_text().split()[0]))
            except (OSError, ValueError, IndexError):
                pass
        return out

    def measure(self, load: str, clients: int, seconds: int, replica: int = 0, seed: bool = False) -> dict:
        cmd = [str(self.bin / "jupiter-bench"), load, "--dir", str(self.dir), "--clients", str(clients),
               "--duration", str(seconds * 1000)]
        if replica:
            cmd += ["--replica", str(replica)]
        if seed:
            cmd += ["--seed"]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120,
                           env={**os.environ, "JUPITER_KEY": str(self.dir / "keys" / "admin.key_secret")})
        start = r.stdout.find("{")
        if start < 0:
            raise RuntimeError(f"{' '.join(cmd)} printed no report:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
        d = json.loads(r.stdout[start:])
        return {"per_second": float(d.get("per_second", 0)), "p99_us": int(d.get("p99_us", 0)),
                "failed": int(d.get("failed", 0)), "transactions": int(d.get("ok", 0)),
                "cpu_seconds": d.get("cpu_seconds", {}), "load_cpu_seconds": d.get("load_cpu_seconds", 0.0)}

    def stop(self) -> None:
        subprocess.run([str(self.bin / "jupiter"), "down", "--dir", str(self.dir)], capture_output=True, timeout=120)
        signal_all(self.pids(), signal.SIGKILL)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    repo = Path(__file__).resolve().parent.parent
    ap.add_argument("--bin", default=str(repo / "build" / "bin"))
    ap.add_argument("--clients", default="8,64,256")
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json")
    ap.add_argument("--base-port", type=int, default=7900)
    ap.add_argument("--pg-port", type=int, default=7990)
    args = ap.parse_args()
    if not (PG_BIN / "pgbench").exists():
        log("PostgreSQL 15 is not installed: apt-get install -y postgresql (a benchmark dependency only)")
        return 2
    levels = [int(c) for c in args.clients.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="jupiter-vs-pg-"))
    (tmp / "pg").mkdir()
    pg = Postgres(tmp / "pg", args.pg_port)
    jup = Jupiter(Path(args.bin).resolve(), tmp / "jupiter", args.base_port)
    report = {"machine": {"cpus": os.cpu_count(), "kernel": os.uname().release},
              "command": " ".join(sys.argv), "seconds": args.seconds, "rounds": args.rounds, "runs": []}
    try:
        if os.geteuid() == 0:
            os.chmod(tmp, 0o755)  # the postgres account reaches its folder inside
        log(f"starting PostgreSQL (primary + synchronous standby) and Jupiter in {tmp}")
        pg.start()
        jup.start()
        figures = [  # (figure, system, how to measure)
            ("writes", "postgres", lambda c: pg.measure("write", c, args.seconds)),
            ("writes", "jupiter", lambda c: jup.measure("commands", c, args.seconds)),
            ("reads", "postgres", lambda c: pg.measure("read", c, args.seconds)),
            ("reads", "jupiter", lambda c: jup.measure("queries", c, args.seconds)),
            ("reads", "jupiter-direct", lambda c: jup.measure("queries", c, args.seconds, replica=1)),
        ]
        frozen = None
        for clients in levels:
            for rnd in range(args.rounds):
                for figure, system, measure in figures:
                    other = jup if system == "postgres" else pg
                    mine = pg if system == "postgres" else jup
                    if frozen is not other:
                        signal_all(mine.pids(), signal.SIGCONT)
                        signal_all(other.pids(), signal.SIGSTOP)
                        frozen = other
                        time.sleep(SETTLE_S)
                    m = measure(clients)
                    m.update({"figure": figure, "system": system, "clients": clients, "round": rnd + 1})
                    report["runs"].append(m)
                    log(f"{clients:>3} clients, round {rnd + 1}: {figure:<6} {system:<14} {m['per_second']:>9.0f} /s  "
                        f"p99 {m['p99_us']:>7} us  failed {m['failed']}")
        signal_all(pg.pids() + jup.pids(), signal.SIGCONT)
    finally:
        signal_all(pg.pids() + jup.pids(), signal.SIGCONT)
        jup.stop()
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    summary = []
    print(f"{'clients':>7}  {'load':<6}  {'PostgreSQL /s':>13}  {'Jupiter /s':>10}  {'ratio':>5}  "
          f"{'p99 PG us':>9}  {'p99 J us':>8}  {'direct /s':>9}  {'ratio':>5}")
    for clients in levels:
        for figure in ("writes", "reads"):
            def mean(system: str, key: str = "per_second") -> float:
                v = [r[key] for r in report["runs"] if r["clients"] == clients and r["figure"] == figure
                     and r["system"] == system]
                return statistics.mean(v) if v else 0.0
            p, j, d = mean("postgres"), mean("jupiter"), mean("jupiter-direct")
            row = {"clients": clients, "figure": figure, "postgres_per_second": round(p), "jupiter_per_second": round(j),
                   "ratio": round(j / p, 2) if p else None, "postgres_p99_us": round(mean("postgres", "p99_us")),
                   "jupiter_p99_us": round(mean("jupiter", "p99_us"))}
            if figure == "reads":
                row.update({"direct_per_second": round(d), "direct_ratio": round(d / p, 2) if p else None})
            summary.append(row)
            print(f"{clients:>7}  {figure:<6}  {p:>13.0f}  {j:>10.0f}  {row['ratio'] or 0:>5.2f}  "
                  f"{row['postgres_p99_us']:>9}  {row['jupiter_p99_us']:>8}  "
                  + (f"{d:>9.0f}  {row['direct_ratio'] or 0:>5.2f}" if figure == "reads" else ""))
    # Where the time goes: CPU microseconds per request, by process (group), at the most clients.
    print(f"\nCPU per request at {levels[-1]} clients (us; the load generator apart):")
    for figure, system in (("writes", "postgres"), ("writes", "jupiter"), ("reads", "postgres"), ("reads", "jupiter"),
                           ("reads", "jupiter-direct")):
        runs = [r for r in report["runs"] if r["clients"] == levels[-1] and r["figure"] == figure
                and r["system"] == system and r["transactions"]]
        if not runs:
            continue
        total = sum(r["transactions"] for r in runs)
        per: dict[str, float] = {}
        for r in runs:
            for who, sec in r["cpu_seconds"].items():
                group = re.sub(r"-\d+$", "", who)  # query-1, query-2 -> query
                per[group] = per.get(group, 0.0) + sec
        load = sum(r["load_cpu_seconds"] for r in runs)
        parts = ", ".join(f"{g} {sec * 1e6 / total:.0f}" for g, sec in sorted(per.items(), key=lambda x: -x[1]) if sec)
        server = sum(per.values()) * 1e6 / total
        print(f"  {figure:<6} {system:<14} {server:6.0f} in all: {parts}; load generator {load * 1e6 / total:.0f}")
        summary.append({"figure": figure, "system": system, "clients": levels[-1],
                        "cpu_us_per_request": {g: round(sec * 1e6 / total, 1) for g, sec in per.items()},
                        "load_cpu_us_per_request": round(load * 1e6 / total, 1)})
    report["summary"] = summary
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    failed = sum(r["failed"] for r in report["runs"])
    if failed:
        log(f"{failed} requests failed in the runs above")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
