"""CURVE keys: the zcert files `jupiter client add` writes, and a refused key failing fast."""

import os
import time

import pytest
import zmq

from jupiter_client import (Client, Forbidden, JupiterError, KeyFileError, KeyRefused, load_cluster,
                            load_public_certificate, load_secret_certificate, write_certificate)

from conftest import unique


def wait_accepted(cluster, key_file, timeout=5.0):
    """Running nodes accept a new key within a second: until a query succeeds with it."""
    deadline = time.monotonic() + timeout
    while True:
        with cluster.client(client_cert=key_file, timeout=2) as c:
            try:
                c.query("inventory.value")
                return
            except JupiterError:
                if time.monotonic() > deadline:
                    raise
        time.sleep(0.2)


def test_certificates_of_the_cluster(cluster):
    cfg = load_cluster(cluster.dir)
    assert cfg.security == "curve" and cfg.keys_dir == cluster.keys_dir
    assert len(cfg.gateways) == 2
    admin = load_secret_certificate(cluster.keys_dir / "admin.key_secret")
    assert len(admin.public_key) == 40 and len(admin.secret_key) == 40 and admin.meta.get("role") == "admin"
    gw = load_public_certificate(cluster.keys_dir / "gateway-1.key")
    assert gw.meta.get("role") == "gateway" and gw.secret_key is None
    assert admin.secret_key not in repr(admin)  # the secret is never shown


def test_explicit_keys_without_cluster_dir(cluster):
    cfg = load_cluster(cluster.dir)
    keys = {ep: cluster.keys_dir / f"{cfg.node_at(ep).name}.key" for ep in cfg.gateways}
    with Client(cfg.gateways, client_cert=cluster.keys_dir / "admin.key_secret", server_keys=keys, timeout=5) as c:
        assert c.security == "curve"
        c.ping()
        c.query("inventory.value")
    z85 = [load_public_certificate(keys[ep]).public_key for ep in cfg.gateways]
    admin = load_secret_certificate(cluster.keys_dir / "admin.key_secret")
    with Client(cfg.gateways, client_cert=(admin.public_key, admin.secret_key), server_keys=z85, timeout=5) as c:
        c.query("inventory.value")
    with Client(cfg.gateways, keys_dir=cluster.keys_dir, client_cert=cluster.keys_dir / "admin.key", timeout=5) as c:
        c.query("inventory.value")


def test_a_writer_key_from_client_add(cluster):
    name = unique("writer-")
    cluster.cli("client", "add", name, "--role", "writer")
    try:
        key = cluster.keys_dir / f"{name}.key_secret"
        assert oct(os.stat(key).st_mode & 0o777) == "0o600"
        wait_accepted(cluster, key)
        with cluster.client(client_cert=key) as c:
            r = c.send("product.create", code=unique("W-"), description="by a writer", price=4)
            assert r["id"] > 0
    finally:
        cluster.cli("client", "revoke", name, check=False)


def test_a_revoked_key_fails_fast_with_key_refused(cluster):
    name = unique("revoked-")
    cluster.cli("client", "add", name, "--role", "reader")
    key = cluster.keys_dir / f"{name}.key_secret"
    wait_accepted(cluster, key)
    with cluster.client(client_cert=key, timeout=20) as open_conn:
        open_conn.query("inventory.value")
        cluster.cli("client", "revoke", name)
        moved = cluster.keys_dir / "revoked" / f"{name}.key_secret"
        assert moved.exists() and not key.exists()
        # An open connection: its requests are refused as `forbidden` (no new handshake happens).
        deadline = time.monotonic() + 5
        while True:
            try:
                open_conn.query("inventory.value")
            except Forbidden as e:
                assert "registered" in e.message
                break
            if time.monotonic() > deadline:
                raise AssertionError("a revoked key is still served on its open connection")
            time.sleep(0.2)
    # A new connection: the handshake is refused, within a round trip rather than a timeout.
    with cluster.client(client_cert=moved, timeout=20) as c:
        with pytest.raises(KeyRefused) as e:
            c.query("inventory.value")
        assert e.value.code == "key_refused" and str(moved) in e.value.message
        with pytest.raises(KeyRefused):  # again, on a fresh connection
            c.ping()


def test_an_unknown_key_fails_fast_with_key_refused(cluster, tmp_path):
    pub, sec = zmq.curve_keypair()
    write_certificate(tmp_path / "stranger", pub.decode(), sec.decode(), {"name": "stranger", "role": "admin"})
    with cluster.client(client_cert=tmp_path / "stranger.key_secret", timeout=20) as c:
        with pytest.raises(KeyRefused):
            c.send("product.create", code=unique("S-"), description="never", price=1)
        assert c.key_refused


def test_a_secret_key_readable_by_others_is_refused(tmp_path):
    pub, sec = zmq.curve_keypair()
    write_certificate(tmp_path / "open", pub.decode(), sec.decode())
    os.chmod(tmp_path / "open.key_secret", 0o644)
    with pytest.raises(KeyFileError) as e:
        load_secret_certificate(tmp_path / "open.key_secret")
    assert "chmod 600" in e.value.message
