"""Typed errors: each error answer raises the class of its code, with field, request id and name."""

import time

import pytest

from jupiter_client import (BadField, BadVersion, Forbidden, JupiterError, Malformed, NotFound, Rejected, TooLarge,
                            UnknownMessage, error_class, ERRORS)

from conftest import unique


def test_bad_field(client):
    with pytest.raises(BadField) as e:
        client.query("seller.get", id="not-a-number")
    err = e.value
    assert err.code == "bad_field" and isinstance(err, JupiterError)
    assert err.name == "seller.get"
    assert err.request_id and err.request_id.startswith("py-")
    assert "id" in err.message
    with pytest.raises(BadField):
        client.send("product.create", code=unique("P-"), description="no price")


def test_bad_field_names_the_field(client):
    with pytest.raises(BadField) as e:
        client.query("seller.get", id="not-a-number")
    assert e.value.field == "id"
    with pytest.raises(BadField) as e:
        client.send("product.create", code=unique("P-"), description="no price")
    assert e.value.field == "price"
    with pytest.raises(BadField) as e:
        client.query("seller.get", id=1, colour="red")
    assert e.value.field == "colour"
    with pytest.raises(BadField) as e:
        client.send("seller.create", first_name="a", last_name="b", doc_type="NOPE", doc_number=unique(), phone="1")
    assert e.value.field == "doc_type"
    rid = client.new_request_id()
    with pytest.raises(BadField) as e:
        client.query("sale.get", id=-3, request_id=rid)
    assert e.value.request_id == rid and e.value.field == "id"


def test_not_found(client):
    with pytest.raises(NotFound) as e:
        client.query("seller.get", id=987654321)
    assert e.value.code == "not_found" and "987654321" in e.value.message
    with pytest.raises(NotFound):
        client.send("sale.delete", id=987654321)


def test_unknown_message(client):
    with pytest.raises(UnknownMessage) as e:
        client.query("nothing.list")
    assert e.value.code == "unknown_message" and e.value.name == "nothing.list"
    with pytest.raises(UnknownMessage):
        client.send("nothing.create", x=1)


def test_rejected(client, seeded):
    with pytest.raises(Rejected) as e:
        client.send("sale.create", seller=seeded["seller"], product=seeded["product"], quantity=10_000,
                    client="Eva", invoice=unique("F-"))
    assert e.value.code == "rejected"


def test_bad_version_and_unknown_kind_raw(client):
    p = client.submit_raw({"v": 2, "kind": "query", "name": "sale.get", "id": unique("raw-"), "body": {"id": 1}},
                          timeout=5)
    assert isinstance(p.exception(), BadVersion)
    p = client.submit_raw({"v": 1, "kind": "gossip", "name": "sale.get", "id": unique("raw-"), "body": {}}, timeout=5)
    assert isinstance(p.exception(), UnknownMessage)


def test_malformed_raw(client):
    # not a map: the gateway cannot read an id, so it answers with id "" (accepted by submit_raw)
    p = client.submit_raw(b"\x93\x01\x02\x03", timeout=5)
    err = p.exception()
    assert isinstance(err, Malformed), err
    # a map whose body is not a map
    p = client.submit_raw({"v": 1, "kind": "query", "name": "sale.get", "id": unique("raw-"), "body": [1]}, timeout=5)
    assert isinstance(p.exception(), Malformed)


def test_too_large_is_refused_before_sending(client):
    with pytest.raises(TooLarge):
        client.send("seller.create", first_name="x" * (100 << 10), last_name="y", doc_type="CEDULA", doc_number="1",
                    phone="1")
    assert client.in_flight == 0
    client.ping()  # the connection is still fine


def test_reader_may_not_send_commands(cluster):
    name = unique("reader-")
    cluster.cli("client", "add", name, "--role", "reader")
    reader = None
    try:
        deadline = time.monotonic() + 5
        while True:  # "running nodes accept it within a second"
            reader = cluster.client(client_cert=cluster.keys_dir / f"{name}.key_secret", timeout=3)
            try:
                reader.query("inventory.value")
                break
            except JupiterError:
                reader.close()
                reader = None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        with pytest.raises(Forbidden) as e:
            reader.send("product.create", code=unique("P-"), description="d", price=1)
        assert e.value.code == "forbidden" and "writer" in e.value.message
    finally:
        if reader is not None:
            reader.close()
        cluster.cli("client", "revoke", name, check=False)


def test_error_table():
    for code in ("bad_field", "not_found", "forbidden", "unavailable", "timeout", "behind", "too_large", "malformed",
                 "unknown_message", "bad_version", "ahead_of_head", "id_reused", "rejected", "cut_off",
                 "key_refused", "internal", "too_far_behind"):
        assert error_class(code).code == code
        assert issubclass(error_class(code), JupiterError)
    assert error_class("something_new") is JupiterError
    assert len(ERRORS) >= 17
