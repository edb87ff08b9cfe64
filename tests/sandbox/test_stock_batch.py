"""The store's stock endpoints as the inventory sync uses them, against the
emulator: batch updates of products and variations (≤ 100 items, per-item
errors inside a 200, CONTRACT.md 4.2), the store's own decrement at
checkout, and the request log benchmarks count calls with. Our WooClient's
batch push is exercised against it too, refused items included."""
from __future__ import annotations

import uuid

from canonical.inventory import StockPush
from activities.inventory import InventoryStoreActivities, store_item
from activities.inventory_contracts import PushInput, SkusInput


def _product(api, stock: int = 5, manage: bool = True) -> dict:
    sku = f"BATCH-{uuid.uuid4().hex[:8]}"
    resp = api.post("products", {"name": sku, "sku": sku, "regular_price": "3.00",
                                 "manage_stock": manage, "stock_quantity": stock})
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_batch_update_answers_200_with_an_error_per_refused_item(sandbox_store):
    api = sandbox_store.api()
    good = _product(api)
    resp = api.post("products/batch", {"update": [
        {"id": good["id"], "manage_stock": True, "stock_quantity": 17},
        {"id": 999999999, "stock_quantity": 1},
        {"stock_quantity": 2}]})
    assert resp.status_code == 200
    first, missing, no_id = resp.json()["update"]
    assert first["id"] == good["id"] and first["stock_quantity"] == 17
    for entry in (missing, no_id):
        assert entry["error"]["code"] == "woocommerce_rest_product_invalid_id"
        assert entry["error"]["data"]["status"] == 400
    assert missing["id"] == 999999999 and no_id["id"] == 0


def test_a_batch_over_100_items_is_413_and_changes_nothing(sandbox_store):
    api = sandbox_store.api()
    p = _product(api, stock=4)
    resp = api.post("products/batch", {"update": [{"id": p["id"], "stock_quantity": 9}] * 101})
    assert resp.status_code == 413
    assert resp.json()["code"] == "woocommerce_rest_request_entity_too_large"
    assert sandbox_store.stock(p["sku"]) == 4


def test_variations_are_pushed_under_their_parent(sandbox_store):
    client = sandbox_store.client()
    red = client.product_by_sku("WOO-CAP-RED")
    assert red["parent_id"]  # found through /products?sku=, as a variation
    before = sandbox_store.stock("WOO-CAP-RED")
    acts = InventoryStoreActivities({"s": client})
    item = store_item(red)
    target = before + 3
    mark = sandbox_store.requests()["last"]
    out = acts.push(PushInput(store="s", pushes=[StockPush(
        sku=item.sku, product_id=item.product_id, parent_id=item.parent_id, before=before,
        quantity=target)]))
    try:
        assert out.updated == ["WOO-CAP-RED"] and not out.failed
        assert sandbox_store.stock("WOO-CAP-RED") == target
        calls = sandbox_store.requests(mark)["requests"]
        assert [(c["method"], c["path"]) for c in calls] == [
            ("POST", f"products/{item.parent_id}/variations/batch")]
    finally:
        sandbox_store.set_stock("WOO-CAP-RED", before)


def test_the_push_reports_an_item_the_store_refuses_and_applies_the_rest(sandbox_store):
    client = sandbox_store.client()
    api = sandbox_store.api()
    products = [_product(api) for _ in range(3)]
    gone = products[1]
    api.delete(f"products/{gone['id']}", params={"force": "true"})
    pushes = [StockPush(sku=p["sku"], product_id=p["id"], before=5, quantity=40 + n)
              for n, p in enumerate(products)]
    out = InventoryStoreActivities({"s": client}).push(PushInput(store="s", pushes=pushes))
    assert sorted(out.updated) == sorted([products[0]["sku"], products[2]["sku"]])
    assert [(f.sku, f.kind) for f in out.failed] == [(gone["sku"], "push_failed")]
    assert "invalid_id" in out.failed[0].detail
    assert out.calls == 2  # one batch, then the refused item once on its own
    assert sandbox_store.stock(products[0]["sku"]) == 40
    assert sandbox_store.stock(products[2]["sku"]) == 42


def test_250_pushes_take_three_batch_calls(sandbox_store):
    client = sandbox_store.client()
    api = sandbox_store.api()
    created = []
    for start in range(0, 250, 100):  # made in batches too, or this test is slow
        resp = api.post("products/batch", {"create": [
            {"name": f"bulk {n}", "sku": f"BULK-{uuid.uuid4().hex[:10]}", "manage_stock": True,
             "stock_quantity": 1, "regular_price": "1.00"} for n in range(start, min(start + 100, 250))]})
        created += resp.json()["create"]
    mark = sandbox_store.requests()["last"]
    out = InventoryStoreActivities({"s": client}).push(PushInput(store="s", pushes=[
        StockPush(sku=p["sku"], product_id=p["id"], before=1, quantity=7) for p in created]))
    assert len(out.updated) == 250 and out.calls == 3
    calls = sandbox_store.requests(mark)["requests"]
    assert [c["path"] for c in calls] == ["products/batch"] * 3
    shown = InventoryStoreActivities({"s": client}).store_stock(
        SkusInput(store="s", skus=[p["sku"] for p in created]))
    assert {i.stock_quantity for i in shown.items} == {7} and len(shown.items) == 250


def test_checkout_decrements_the_store_s_own_stock(sandbox_store):
    api = sandbox_store.api()
    p = _product(api, stock=6)
    resp = api.post("orders", {"set_paid": True, "status": "processing",
                               "line_items": [{"product_id": p["id"], "quantity": 2}]})
    assert resp.status_code == 201, resp.text
    assert sandbox_store.stock(p["sku"]) == 4
