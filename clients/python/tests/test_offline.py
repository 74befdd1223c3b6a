"""What needs no cluster: certificates, the cluster file, envelopes, local refusals."""

import os
import threading
import time

import msgpack
import pytest
import zmq

from jupiter_client import (Client, ConfigError, KeyFileError, TooLarge, Unavailable, load_cluster,
                            load_secret_certificate, parse_zpl, write_certificate)
from jupiter_client import envelope


ZCERT = """#   ****  Generated on 2026-11-28 12:00:00 by CZMQ  ****
#   ZeroMQ CURVE **Secret** Certificate
#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.

metadata
    name = "admin"
    role = "admin"
curve
    public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
    secret-key = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
"""


def test_parse_zpl():
    v = parse_zpl(ZCERT)
    assert v["metadata/name"] == "admin" and v["metadata/role"] == "admin"
    assert v["curve/public-key"] == "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
    assert v["curve/secret-key"] == "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"


def test_certificate_round_trip(tmp_path):
    pub, sec = zmq.curve_keypair()
    write_certificate(tmp_path / "me", pub.decode(), sec.decode(), {"name": "me", "role": "reader"})
    assert oct(os.stat(tmp_path / "me.key_secret").st_mode & 0o777) == "0o600"
    c = load_secret_certificate(tmp_path / "me.key")  # NAME.key means NAME.key_secret, as in the CLI
    assert c.public_key == pub.decode() and c.secret_key == sec.decode() and c.meta["role"] == "reader"
    (tmp_path / "bad.key_secret").write_text("curve\n    public-key = \"short\"\n")
    os.chmod(tmp_path / "bad.key_secret", 0o600)
    with pytest.raises(KeyFileError):
        load_secret_certificate(tmp_path / "bad.key_secret")
    with pytest.raises(KeyFileError):
        load_secret_certificate(tmp_path / "missing.key_secret")


def test_cluster_file(tmp_path):
    (tmp_path / "jupiter.toml").write_text(f"""
[cluster]
dir = "{tmp_path}"
[gateway]
client_timeout_ms = 4000
[security]
mode = "none"
[[node]]
name = "gateway-1"
role = "gateway"
endpoint = "tcp://127.0.0.1:1"
[[node]]
name = "query-1"
role = "query"
endpoint = "tcp://127.0.0.1:2"
""")
    cfg = load_cluster(tmp_path)
    assert cfg.security == "none" and cfg.gateways == ["tcp://127.0.0.1:1"] and cfg.keys_dir == tmp_path / "keys"
    with Client(cluster_dir=tmp_path) as c:
        assert c.timeout == 5.0 and c.security == "none"
    with pytest.raises(ConfigError):
        load_cluster(tmp_path / "nowhere")


def test_envelope_shape():
    env = envelope.make_envelope("query", "sale.get", "py-1", {"id": 3}, min_seq=9)
    assert env == {"v": 1, "kind": "query", "name": "sale.get", "id": "py-1", "body": {"id": 3}, "min_seq": 9}
    assert "client" not in env
    back = envelope.decode(envelope.encode(env))
    assert back == env
    assert envelope.decode(b"\xc1") is None and envelope.decode(msgpack.packb([1])) is None


def test_nobody_listening_is_unavailable_in_bounded_time():
    with Client(["tcp://127.0.0.1:9"], timeout=10, unreachable=0.5) as c:
        with pytest.raises(Unavailable) as e:
            c.query("inventory.value")
        assert "none could be connected to" in e.value.message


def test_too_large_and_bad_arguments_refused_locally():
    with Client(["tcp://127.0.0.1:9"], timeout=1) as c:
        with pytest.raises(TooLarge):
            c.submit_command("seller.create", first_name="x" * (64 << 10))
        with pytest.raises(ValueError):
            c.submit_query("sale.get", id=1, min_seq=-1)
        with pytest.raises(ValueError):
            c.submit("event", "x")
        assert c.in_flight == 0


def test_curve_needs_keys():
    with pytest.raises(ConfigError):
        Client(["tcp://127.0.0.1:9"], security="curve")


def _closed_endpoint():
    """A loopback port nothing listens on: a connection there is refused. Bound and closed in a
    context of its own, whose end waits until the listener is gone (a socket's close alone leaves
    that to libzmq's I/O thread, which may still accept a connection for a moment)."""
    ctx = zmq.Context()
    s = ctx.socket(zmq.ROUTER)
    s.bind("tcp://127.0.0.1:*")
    ep = s.getsockopt_string(zmq.LAST_ENDPOINT)
    s.close(0)
    ctx.term()
    return ep


def test_a_refused_gateway_is_left_at_once_not_after_the_silence():
    """A one-shot client whose first gateway is down (its connection refused) moves on without
    waiting out the silence and a ping: with a silence of 60 s only the refusal can move it."""
    ctx = zmq.Context()
    server = ctx.socket(zmq.ROUTER)
    server.bind("tcp://127.0.0.1:*")
    live = server.getsockopt_string(zmq.LAST_ENDPOINT)
    stop = threading.Event()

    def answer():  # a gateway that answers every request with a reply naming it
        while not stop.is_set():
            if not server.poll(20):
                continue
            route, empty, data = server.recv_multipart()
            env = envelope.decode(data)
            server.send_multipart([route, empty, envelope.encode(
                {"v": 1, "kind": "reply", "name": env["name"], "id": env["id"], "seq": 1, "node": "fake",
                 "body": {"value": 0}})])

    t = threading.Thread(target=answer)
    t.start()
    try:
        with Client([_closed_endpoint(), live], timeout=10, silence=60, ping_timeout=60) as c:
            r = c.query("inventory.value")
            assert r.node == "fake"
            assert c.failovers == 1
            assert "refused the connection" in c.last_failover_reason
    finally:
        stop.set()
        t.join()
        server.close(0)
        ctx.term()
