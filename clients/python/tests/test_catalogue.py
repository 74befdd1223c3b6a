"""Every command and query of the catalogue (schemas/README.md), through the gateways."""

from jupiter_client import LAST, NotFound, Reply

from conftest import unique


def test_ping(client):
    pong = client.ping()
    assert isinstance(pong, Reply)
    assert pong["node"].startswith("gateway")
    assert isinstance(pong["pid"], int) and pong["pid"] > 0
    assert pong.endpoint == client.current


def test_sellers(client):
    tag = unique()
    r = client.send("seller.create", first_name="Ana", last_name="Ruiz", doc_type="CEDULA", doc_number=tag,
                    phone="3001234567")
    assert isinstance(r["id"], int) and r["id"] > 0
    assert isinstance(r["seq"], int) and r["seq"] > 0
    assert r.duplicate is False
    sid = r["id"]
    got = client.query("seller.get", id=sid, min_seq=LAST)
    assert got["first_name"] == "Ana" and got["doc_number"] == tag
    assert got.seq >= r["seq"]
    u = client.send("seller.update", id=sid, phone="3109999999", last_name="Ruiz Díaz")
    assert u["seq"] > r["seq"]
    got = client.query("seller.get", id=sid, min_seq=LAST)
    assert got["phone"] == "3109999999" and got["last_name"] == "Ruiz Díaz" and got["first_name"] == "Ana"
    listed = client.query("sellers.list", after=sid - 1, limit=1, min_seq=LAST)
    assert [row["id"] for row in listed["items"]] == [sid]
    d = client.send("seller.delete", id=sid)
    assert d["seq"] > u["seq"]
    try:
        client.query("seller.get", id=sid, min_seq=LAST)
        raise AssertionError("a deleted seller is still found")
    except NotFound as e:
        assert e.code == "not_found"


def test_products_and_stock(client):
    tag = unique()
    p = client.send("product.create", code=f"P-{tag}", description="Laptop 14in", price=1299.90)
    pid = p["id"]
    client.send("stock.receive", product=pid, quantity=12)
    client.send("stock.receive", product=pid, quantity=3)
    got = client.query("product.get", id=pid, min_seq=LAST)
    assert got["code"] == f"P-{tag}" and got["description"] == "Laptop 14in"
    assert got["stock"] == 15
    entries = got["entries"]
    assert sorted(e["quantity"] for e in entries) == [3, 12], got
    u = client.send("product.update", id=pid, description="Laptop 15in", price=1000)
    got = client.query("product.get", id=pid, min_seq=u["seq"])
    assert got["description"] == "Laptop 15in"
    listed = client.query("products.list", after=pid - 1, limit=1, min_seq=LAST)
    assert [row["id"] for row in listed["items"]] == [pid]
    assert listed["items"][0]["stock"] == 15
    value = client.query("inventory.value", min_seq=LAST)
    for key in ("products", "units", "total_cents"):
        assert key in value, value
    assert value["units"] >= 15
    # a product with no sales can be deleted
    client.send("product.delete", id=pid)
    try:
        client.query("product.get", id=pid, min_seq=LAST)
        raise AssertionError("a deleted product is still found")
    except NotFound:
        pass


def test_sales(client, seeded):
    sale = client.query("sale.get", id=seeded["sale"], min_seq=LAST)
    assert sale["seller"] == seeded["seller"] and sale["product"] == seeded["product"]
    assert sale["quantity"] == 2 and sale["client"] == "Luz Gómez" and sale["invoice"] == f"F-{seeded['tag']}"
    for filters in ({"seller": seeded["seller"]}, {"product": seeded["product"]},
                    {"seller": seeded["seller"], "client": "Luz Gómez", "limit": 10}):
        rows = client.query("sales.list", min_seq=LAST, **filters)["items"]
        assert [r["id"] for r in rows] == [seeded["sale"]], (filters, rows)
    assert client.query("sales.list", seller=seeded["seller"], after=seeded["sale"], min_seq=LAST)["items"] == []
    at = sale["at"]
    if isinstance(at, int):
        rows = client.query("sales.list", seller=seeded["seller"], **{"from": at, "to": at + 1})["items"]
        assert [r["id"] for r in rows] == [seeded["sale"]]
    u = client.send("sale.update", id=seeded["sale"], quantity=5)
    assert client.query("product.get", id=seeded["product"], min_seq=u["seq"])["stock"] == 15
    assert client.query("sale.get", id=seeded["sale"], min_seq=LAST)["quantity"] == 5
    client.send("sale.delete", id=seeded["sale"])
    assert client.query("product.get", id=seeded["product"], min_seq=LAST)["stock"] == 20
    try:
        client.query("sale.get", id=seeded["sale"], min_seq=LAST)
        raise AssertionError("a deleted sale is still found")
    except NotFound:
        pass


def test_seller_totals(client, seeded):
    got = client.query("seller.get", id=seeded["seller"], min_seq=LAST)
    assert got["sales_count"] == 1, got
    assert got["sales_total_cents"] == 500, got  # 2 units at 2.50


def test_seller_delete_removes_its_sales(client, seeded):
    client.send("seller.delete", id=seeded["seller"])
    try:
        client.query("sale.get", id=seeded["sale"], min_seq=LAST)
        raise AssertionError("the sale of a deleted seller is still found")
    except NotFound:
        pass
