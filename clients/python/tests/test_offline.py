"""What needs no cluster: certificates, the cluster file, envelopes, local refusals."""

import os
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
