"""A cluster in [security] mode = "none" (loopback only): no keys at all. Runs last (file name): it
restarts the shared cluster in mode none, then back in curve mode."""

import re
import time

import pytest

from jupiter_client import Client, NotFound, LAST, load_cluster

from conftest import unique


def set_mode(cluster, mode):
    toml = cluster.dir / "jupiter.toml"
    text = toml.read_text()
    new, n = re.subn(r'(?m)^mode\s*=\s*"[a-z]+"', f'mode = "{mode}"', text)
    assert n == 1, "no [security] mode line in jupiter.toml"
    toml.write_text(new)


@pytest.fixture(scope="module")
def plain_cluster(cluster):
    cluster.down()
    set_mode(cluster, "none")
    try:
        cluster.up()
        cluster.wait_ready()
        yield cluster
    finally:
        cluster.down()
        set_mode(cluster, "curve")
        cluster.up()
        cluster.wait_ready()


def test_mode_none_from_the_cluster_dir(plain_cluster):
    assert load_cluster(plain_cluster.dir).security == "none"
    with plain_cluster.client() as c:
        assert c.security == "none"
        pong = c.ping()
        assert pong["node"].startswith("gateway")
        r = c.send("product.create", code=unique("N-"), description="plain", price=1.25)
        got = c.query("product.get", id=r["id"], min_seq=LAST)
        assert got["price_cents"] == 125
        with pytest.raises(NotFound):
            c.query("product.get", id=987654321)


def test_mode_none_with_endpoints_only(plain_cluster):
    gateways = load_cluster(plain_cluster.dir).gateways
    with Client(gateways, timeout=5) as c:  # no keys: security "none"
        assert c.security == "none"
        rid = c.new_request_id()
        body = dict(code=unique("NE-"), description="plain", price=2)
        first = c.send("product.create", request_id=rid, **body)
        assert c.send("product.create", request_id=rid, **body).duplicate
        hs = [c.submit_query("product.get", id=first["id"]) for _ in range(16)]
        assert all(r["id"] == first["id"] for r in c.gather(hs))


def test_mode_none_failover(plain_cluster):
    gateways = load_cluster(plain_cluster.dir).gateways
    with Client(gateways, timeout=10, start=0) as c:
        c.ping()
        plain_cluster.cli("kill", "gateway-1", "--signal", "KILL")
        try:
            for _ in range(20):
                c.query("inventory.value")
            assert c.current == gateways[1]
        finally:
            plain_cluster.cli("start", "gateway-1", check=False)
