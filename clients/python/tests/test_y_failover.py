"""Failover between the gateways: a killed (kill -9) or stopped (SIGSTOP) gateway costs the client
no failed request; a gateway cut off from the bus (every broker down) answers cut_off and the client
tries the other one. Runs late (file name): it disturbs the shared cluster and restores it."""

import subprocess
import time

import pytest

from jupiter_client import LAST, CutOff

from conftest import unique


def run_load(client, seconds, during=None, at=0.5, inflight=8, ids=None):
    """Keeps `inflight` queries (and one command in 8) in flight for `seconds`; calls `during()` after
    `at` s. Returns (ok, errors, max latency)."""
    ok = 0
    errors = []
    worst = 0.0
    live = [0]
    n = [0]
    t0 = time.monotonic()
    stop = t0 + seconds
    tag = unique()

    def start():
        i = n[0]
        n[0] += 1
        if i % 8 == 7:
            h = client.submit_command("product.create", code=f"FO-{tag}-{i}", description="during failover", price=1)
        else:
            h = client.submit_query("inventory.value")
        live[0] += 1
        h.add_done_callback(done)

    def done(h):
        nonlocal ok, worst
        live[0] -= 1
        if h._error is None:
            ok += 1
            worst = max(worst, h.latency)
        else:
            errors.append(h._error)
        if time.monotonic() < stop:
            start()

    for _ in range(inflight):
        start()
    fired = False
    proc = None
    while live[0]:
        client.pump(0.005)
        if not fired and time.monotonic() - t0 >= at and during is not None:
            fired = True
            proc = during()
    if isinstance(proc, subprocess.Popen):
        proc.wait(timeout=30)
    return ok, errors, worst


def restart(cluster, node):
    cluster.cli("start", node, timeout=60, check=False)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if node in cluster.pids():
            return
        time.sleep(0.2)
    raise AssertionError(f"{node} did not come back")


def kill(cluster, node, sig):
    return subprocess.Popen([cluster.jupiter, "kill", node, "--signal", sig, "--dir", str(cluster.dir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_gateway_killed_no_failed_request(cluster):
    gw = cluster.gateways()
    with cluster.client(start=0) as c:
        c.ping()
        assert c.current == gw[0]
        try:
            ok, errors, worst = run_load(c, 2.5, during=lambda: kill(cluster, "gateway-1", "KILL"))
        finally:
            restart(cluster, "gateway-1")
        assert errors == [], errors[:3]
        assert ok > 100
        assert c.failovers >= 1 and c.current == gw[1], (c.failovers, c.last_failover_reason)
        assert worst < 3.0
        # queries and commands still work afterwards, with read-your-writes
        r = c.send("product.create", code=unique("AFTER-"), description="after", price=1)
        assert c.query("product.get", id=r["id"], min_seq=LAST)["description"] == "after"


def test_command_resent_during_failover_is_applied_once(cluster):
    with cluster.client(start=0) as c:
        c.ping()
        rid = c.new_request_id()
        body = dict(code=unique("ONCE-"), description="once", price=1)
        h = c.submit_command("product.create", request_id=rid, **body)
        k = kill(cluster, "gateway-1", "KILL")
        try:
            first = h.result()
            k.wait(timeout=30)
        finally:
            restart(cluster, "gateway-1")
        again = c.send("product.create", request_id=rid, **body)
        assert again["id"] == first["id"] and again.duplicate


def test_gateway_stopped_is_left_after_its_ping_goes_unanswered(cluster):
    gw = cluster.gateways()
    with cluster.client(start=1) as c:
        c.ping()
        assert c.current == gw[1]
        try:
            ok, errors, worst = run_load(c, 2.5, during=lambda: kill(cluster, "gateway-2", "STOP"))
        finally:
            cluster.cli("kill", "gateway-2", "--signal", "CONT", check=False)
        assert errors == [], errors[:3]
        assert c.failovers >= 1 and c.current == gw[0]
        # silence (0.2 s) + unanswered ping (0.2 s), plus the kill command's own start-up
        assert worst < 2.0, worst
        assert "ping" in c.last_failover_reason or "connection" in c.last_failover_reason


def test_every_gateway_cut_off_answers_cut_off(cluster):
    """Both brokers stopped: each gateway answers commands `cut_off`; the client tries both, then
    raises CutOff. Once a broker is back, the same request id goes through."""
    body = dict(code=unique("CUT-"), description="cut", price=1)
    with cluster.client(timeout=10) as c:
        c.ping()
        try:
            cluster.cli("kill", "broker-1", "--signal", "STOP")
            cluster.cli("kill", "broker-2", "--signal", "STOP")
            time.sleep(1.0)  # past the gateways' bus liveness window (3 heartbeats of 100 ms)
            before = c.failovers
            with pytest.raises(CutOff) as e:
                c.send("product.create", **body)
            assert c.failovers >= before + 1  # the first gateway's cut_off sent it to the second
            assert e.value.code == "cut_off" and e.value.request_id
            rid = e.value.request_id
            # queries still work: the gateways reach the replicas without the bus
            c.query("inventory.value")
        finally:
            cluster.cli("kill", "broker-1", "--signal", "CONT", check=False)
            cluster.cli("kill", "broker-2", "--signal", "CONT", check=False)
        deadline = time.monotonic() + 10
        while True:
            try:
                r = c.send("product.create", request_id=rid, **body)
                break
            except CutOff:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert r["id"] > 0
        assert c.send("product.create", request_id=rid, **body).duplicate
