"""The protocol's rules for clients (schemas/README.md, "Writing a client"):

- a query whose min_seq is beyond every command node's head is answered `ahead_of_head` at once;
- deduplication is per authenticated client key + request id: the same key reusing an id for a
  DIFFERENT command gets `id_reused`; another key may use the same id for its own command;
- an empty request id is refused (`bad_field`, field `id`);
- the envelope key `client` is reserved (gateways set it) and a request carrying it is refused;
- error answers carry `field` (the offending field or envelope key).
"""

import time

import pytest

from jupiter_client import AheadOfHead, BadField, IdReused, JupiterError, LAST

from conftest import unique



def test_min_seq_beyond_the_head_is_answered_at_once(client):
    r = client.send("product.create", code=unique("AH-"), description="head", price=1)
    with pytest.raises(AheadOfHead) as e:
        client.query("product.get", id=r["id"], min_seq=r["seq"] + 1_000_000, timeout=5)
    assert e.value.code == "ahead_of_head"
    assert e.value.field == "min_seq"
    # the head itself is fine
    assert client.query("product.get", id=r["id"], min_seq=LAST)["id"] == r["id"]


def test_same_key_same_id_other_command_is_id_reused(cluster):
    # two clients with the same key (the admin's): the server, not the local guard, refuses
    with cluster.client() as a, cluster.client() as b:
        rid = a.new_request_id()
        code = unique("IR-")
        first = a.send("product.create", request_id=rid, code=code, description="first", price=1)
        with pytest.raises(IdReused) as e:
            b.send("product.create", request_id=rid, code=unique("IR-"), description="second", price=1)
        assert e.value.code == "id_reused" and e.value.request_id == rid
        assert e.value.field == "id"
        # the id still answers for its first command (a resend from the other connection)
        again = b.send("product.create", request_id=rid, code=code, description="first", price=1)
        assert again.duplicate and again["id"] == first["id"]


def test_another_name_with_the_same_id_is_id_reused(cluster):
    with cluster.client() as a, cluster.client() as b:
        rid = a.new_request_id()
        a.send("product.create", request_id=rid, code=unique("IRN-"), description="x", price=1)
        with pytest.raises(IdReused):
            b.send("seller.create", request_id=rid, first_name="A", last_name="B", doc_type="CEDULA",
                   doc_number=unique(), phone="1")


def test_dedup_is_per_client_key(cluster):
    name = unique("dedup-")
    cluster.cli("client", "add", name, "--role", "writer")
    try:
        key = cluster.keys_dir / f"{name}.key_secret"
        deadline = time.monotonic() + 5
        while True:
            with cluster.client(client_cert=key, timeout=2) as w:
                try:
                    w.ping()
                    w.query("inventory.value")
                    break
                except JupiterError:
                    if time.monotonic() > deadline:
                        raise
            time.sleep(0.2)
        rid = "shared-" + unique()
        with cluster.client() as admin, cluster.client(client_cert=key) as writer:
            a = admin.send("product.create", request_id=rid, code=unique("PA-"), description="admin's", price=1)
            w = writer.send("product.create", request_id=rid, code=unique("PW-"), description="writer's", price=1)
            assert not w.duplicate, "another client's id was taken for a resend"
            assert w["id"] != a["id"]
            assert admin.query("product.get", id=w["id"], min_seq=w["seq"])["description"] == "writer's"
    finally:
        cluster.cli("client", "revoke", name, check=False)


def test_empty_request_id_is_refused(client):
    p = client.submit_raw({"v": 1, "kind": "command", "name": "product.create", "id": "",
                           "body": {"code": unique("E-"), "description": "no id", "price": 1}}, timeout=5)
    err = p.exception()
    assert isinstance(err, BadField), err
    assert err.field == "id"


def test_envelope_key_client_is_reserved(client):
    code = unique("CL-")
    p = client.submit_raw({"v": 1, "kind": "command", "name": "product.create", "id": client.new_request_id(),
                           "client": "someone-else", "body": {"code": code, "description": "spoof", "price": 1}},
                          timeout=5)
    err = p.exception()
    assert isinstance(err, JupiterError), "a request carrying the reserved envelope key `client` was served"
    assert err.field == "client"
    listed = client.query("products.list", limit=1000, min_seq=LAST)["items"]
    assert code not in [row["code"] for row in listed]


def test_bad_version_names_the_field(client):
    p = client.submit_raw({"v": 7, "kind": "query", "name": "sale.get", "id": client.new_request_id(),
                           "body": {"id": 1}}, timeout=5)
    err = p.exception()
    assert err.code == "bad_version" and err.field == "v"
    assert err.request_id == p.id  # the refusal echoes the id it could read
