"""Request ids, same-id resends, read-your-writes, many requests in flight."""

import pytest

from jupiter_client import LAST, IdReused, JupiterError, NotFound, new_request_id

from conftest import unique


def test_request_ids_are_random_128_bit_hex():
    a, b = new_request_id(), new_request_id("bench")
    assert a.startswith("py-") and len(a) == 3 + 32 and int(a[3:], 16) >= 0
    assert b.startswith("bench-") and a != b
    assert len({new_request_id() for _ in range(10000)}) == 10000


def test_same_id_resend_is_applied_once(client):
    tag = unique()
    rid = client.new_request_id()
    body = dict(first_name="Rita", last_name="Once", doc_type="PASAPORTE", doc_number=tag, phone="1")
    first = client.send("seller.create", request_id=rid, **body)
    assert first.duplicate is False
    again = client.send("seller.create", request_id=rid, **body)
    assert again.duplicate is True
    assert again["id"] == first["id"] and again["seq"] == first["seq"]
    assert again.id == rid
    # applied once: one seller with that document
    rows = client.query("sellers.list", after=first["id"] - 1, limit=5, min_seq=LAST)["items"]
    assert [r["doc_number"] for r in rows].count(tag) == 1


def test_a_refused_command_keeps_its_outcome_for_its_id(client):
    rid = client.new_request_id()
    with pytest.raises(NotFound) as first:
        client.send("seller.delete", id=987654321, request_id=rid)
    assert not first.value.duplicate
    with pytest.raises(NotFound) as again:
        client.send("seller.delete", id=987654321, request_id=rid)
    assert again.value.duplicate and again.value.request_id == rid


def test_same_id_resend_from_another_connection_with_the_same_key(cluster, client):
    """A resend after a crash of the client comes on a new connection: still applied once."""
    rid = client.new_request_id()
    body = dict(code=unique("P-"), description="once", price=3)
    first = client.send("product.create", request_id=rid, **body)
    with cluster.client() as other:
        again = other.send("product.create", request_id=rid, **body)
    assert again.duplicate and again["id"] == first["id"]


def test_reusing_an_id_for_another_command_is_refused_locally(client):
    rid = client.new_request_id()
    client.send("product.create", request_id=rid, code=unique("P-"), description="a", price=1)
    with pytest.raises(IdReused) as e:
        client.send("product.create", request_id=rid, code=unique("P-"), description="b", price=1)
    assert e.value.field == "id" and e.value.request_id == rid


def test_invalid_request_ids_are_refused_locally(client):
    with pytest.raises(ValueError):
        client.send("product.create", request_id="", code="x", description="y", price=1)
    with pytest.raises(ValueError):
        client.query("inventory.value", request_id="x" * 129)


def test_read_your_writes_with_min_seq(client):
    last = 0
    for i in range(20):
        r = client.send("product.create", code=unique("RYW-"), description=f"ryw {i}", price=1 + i)
        assert r["seq"] > last
        last = r["seq"]
        assert client.last_seq == r["seq"]
        got = client.query("product.get", id=r["id"], min_seq=LAST)  # never NotFound
        assert got.seq >= r["seq"]
        got = client.query("product.get", id=r["id"], min_seq=r["seq"])
        assert got["description"] == f"ryw {i}"


def test_read_your_writes_option(cluster):
    with cluster.client(read_your_writes=True) as c:
        for i in range(10):
            r = c.send("product.create", code=unique("RYWO-"), description="x", price=2)
            assert c.query("product.get", id=r["id"]).seq >= r["seq"]


def test_many_in_flight_on_one_connection(client, seeded):
    handles = [client.submit_query("sale.get", id=seeded["sale"], min_seq=LAST) for _ in range(64)]
    handles += [client.submit_query("seller.get", id=987654321)]
    assert client.in_flight >= 1
    replies = client.gather(handles, return_exceptions=True)
    assert all(r["id"] == seeded["sale"] for r in replies[:64])
    assert isinstance(replies[64], NotFound)
    with pytest.raises(NotFound):
        client.gather(handles)
    assert client.in_flight == 0


def test_as_completed_and_callbacks(client, seeded):
    seen = []
    handles = []
    for _ in range(16):
        h = client.submit_query("product.get", id=seeded["product"], min_seq=LAST)
        h.add_done_callback(seen.append)
        handles.append(h)
    done = list(client.as_completed(handles, timeout=20))
    assert sorted(map(id, done)) == sorted(map(id, handles))
    assert len(seen) == 16 and all(h.done() and h.latency is not None for h in handles)


def test_commands_in_flight_together(client):
    tag = unique()
    hs = [client.submit_command("product.create", code=f"{tag}-{i}", description="batch", price=1) for i in range(32)]
    replies = client.gather(hs)
    assert len({r["id"] for r in replies}) == 32
    assert client.last_seq == max(r["seq"] for r in replies)


def test_result_wait_bound_leaves_request_in_flight(client):
    h = client.submit_query("inventory.value")
    try:
        h.result(timeout=0)
    except TimeoutError:
        pass
    assert "products" in h.result(timeout=10)


def test_unknown_code_still_raises_jupiter_error(client):
    # every error class is a JupiterError: one except clause catches all
    with pytest.raises(JupiterError):
        client.query("seller.get", id=987654321)
