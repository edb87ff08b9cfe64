"""What reconcile and backfill need from the store: orders changed behind the
integration's back, permanent deletes, historical orders, and stable paging
of modified_after / modified_before windows."""
from __future__ import annotations

import math
from contextlib import contextmanager
from decimal import Decimal

import httpx
import pytest

from tests.sandbox.support import deliveries, own_sku, unique

ADMIN_EDIT = "orders/{}/edit"


@pytest.fixture(scope="module")
def api(sandbox_store):
    return sandbox_store.api()


@pytest.fixture(scope="module")
def sku(api) -> str:
    return own_sku(api, "9.99")


@contextmanager
def clock(store, **setting):
    """The store's business clock moved for a block (orders 'from back then')."""
    try:
        yield store.admin("PUT", "clock", setting)
    finally:
        store.admin("PUT", "clock", {"offset_seconds": 0})


def _customer(api) -> int:
    resp = api.post("customers", {"email": f"{unique('rec').replace(' ', '-')}@example.com"})
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


def _order(api, sku: str, **fields) -> dict:
    body = {"payment_method": "sandbox_card", "set_paid": True,
            "line_items": [{"sku": sku, "quantity": 1}],
            "shipping_lines": [{"method_id": "flat_rate", "method_title": "Flat", "total": "5.00"}],
            **fields}
    resp = api.post("orders", body)
    assert resp.status_code == 201, resp.text
    return resp.json()


# -- a. an edit nobody is told about -------------------------------------------------------------
def test_an_edit_behind_the_integrations_back_fires_nothing_and_moves_date_modified(
        sandbox_store, webhook_receiver, hook, api, sku):
    hook("order.updated")
    hook("order.created")
    placed = _order(api, sku)
    sandbox_store.drain_webhooks()
    told = len(deliveries(webhook_receiver))
    line = placed["line_items"][0]
    with clock(sandbox_store, offset_seconds=120):  # a later second, for sure
        edited = sandbox_store.admin("POST", ADMIN_EDIT.format(placed["id"]), {
            "line_items": [{"id": line["id"], "quantity": 3}], "shipping_total": "7.50",
            "status": "on-hold"})
    sandbox_store.drain_webhooks()
    assert len(deliveries(webhook_receiver)) == told  # no webhook of any kind
    seen = api.get(f"orders/{placed['id']}").json()
    assert (seen["date_modified_gmt"], seen["total"]) == (edited["date_modified_gmt"], edited["total"])
    line_now = seen["line_items"][0]
    assert (seen["status"], line_now["quantity"], seen["shipping_total"]) == ("on-hold", 3, "7.50")
    # totals recalculated as WP admin's "Recalculate" would: 3 x 9.99 + 3.00 tax, 7.50 + 0.75 tax
    assert Decimal(seen["total"]) == Decimal("41.22")
    assert seen["date_modified_gmt"] > placed["date_modified_gmt"]
    # what a reconcile job finds: the order shows up in a modified_after window
    found = api.get("orders", params={"modified_after": placed["date_modified_gmt"],
                                      "dates_are_gmt": "true", "include": placed["id"]}).json()
    assert [o["id"] for o in found] == [placed["id"]]


def test_raw_edits_skip_the_recalculation_and_fire_webhooks_on_request(
        sandbox_store, webhook_receiver, hook, api, sku):
    hook("order.updated")
    placed = _order(api, sku)
    sandbox_store.drain_webhooks()
    raw = sandbox_store.admin("POST", ADMIN_EDIT.format(placed["id"]), {"raw": {"total": "1.00"}})
    assert raw["total"] == "1.00" and raw["line_items"] == placed["line_items"]  # inconsistent on purpose
    sandbox_store.admin("POST", ADMIN_EDIT.format(placed["id"]),
                        {"customer_note": "seen by WP admin", "fire_webhooks": True})
    sandbox_store.drain_webhooks()
    (body,) = deliveries(webhook_receiver, "order.updated")
    assert body["customer_note"] == "seen by WP admin"
    url = f"{sandbox_store.url}/__sandbox/{ADMIN_EDIT.format(987654321)}"
    assert httpx.post(url, json={"status": "completed"}, timeout=10).status_code == 404
    bad = httpx.post(url.replace("987654321", str(placed["id"])), json={"raw": {"id": 1}}, timeout=10)
    assert bad.status_code == 400
    invalid = httpx.post(url.replace("987654321", str(placed["id"])), json={"status": "shipped"}, timeout=10)
    assert (invalid.status_code, invalid.json()["code"]) == (400, "rest_invalid_param")


# -- b. deletes -----------------------------------------------------------------------------------
def test_force_delete_removes_the_order_and_its_refunds_without_a_webhook(
        sandbox_store, webhook_receiver, hook, api, sku):
    for topic in ("order.deleted", "order.updated"):
        hook(topic)
    placed = _order(api, sku)
    refund = api.post(f"orders/{placed['id']}/refunds", {"amount": "1.00"}).json()
    api.post(f"orders/{placed['id']}/notes", {"note": "about to vanish"})
    sandbox_store.drain_webhooks()
    told = len(deliveries(webhook_receiver))
    gone = api.delete(f"orders/{placed['id']}", params={"force": "true"})
    assert gone.status_code == 200 and gone.json()["id"] == placed["id"]
    sandbox_store.drain_webhooks()
    assert len(deliveries(webhook_receiver)) == told
    assert api.get(f"orders/{placed['id']}").status_code == 404
    listed = api.get("orders", params={"include": placed["id"], "status": "any,trash"}).json()
    assert listed == []
    assert api.get(f"orders/{placed['id']}/refunds/{refund['id']}").status_code == 500  # invalid order id
    assert api.get(f"orders/{placed['id']}/notes").status_code == 404
    # the refund went with it: looked up under another order it is unknown, not foreign
    other = _order(api, sku)
    lookup = api.get(f"orders/{other['id']}/refunds/{refund['id']}")
    assert (lookup.status_code, lookup.json()["code"]) == (
        404, "woocommerce_rest_shop_order_refund_invalid_id")
    assert api.delete(f"orders/{placed['id']}", params={"force": "true"}).status_code == 404


def test_a_delete_without_force_trashes_and_fires_order_deleted(
        sandbox_store, webhook_receiver, hook, api, sku):
    hook("order.deleted")
    placed = _order(api, sku)
    trashed = api.delete(f"orders/{placed['id']}")
    assert trashed.status_code == 200
    assert api.get(f"orders/{placed['id']}").json()["status"] == "trash"
    again = api.delete(f"orders/{placed['id']}")
    assert (again.status_code, again.json()["code"]) == (410, "woocommerce_rest_already_trashed")
    sandbox_store.drain_webhooks()
    assert deliveries(webhook_receiver, "order.deleted") == [{"id": placed["id"]}]


# -- c. history and paging ---------------------------------------------------------------------------
def _page_all(api, params: dict, per_page: int) -> tuple[list[dict], int]:
    first = api.get("orders", params={**params, "per_page": per_page, "page": 1})
    assert first.status_code == 200, first.text
    total, pages = int(first.headers["X-WP-Total"]), int(first.headers["X-WP-TotalPages"])
    assert pages == math.ceil(total / per_page)
    rows = first.json()
    for page in range(2, pages + 1):
        rows += api.get("orders", params={**params, "per_page": per_page, "page": page}).json()
    return rows, total


def test_historical_orders_page_stably_by_modified_date_and_id(sandbox_store, api, sku):
    customer = _customer(api)
    hours = ("2021-03-01T10:00:00", "2021-03-01T11:00:00", "2021-03-01T12:00:00")
    for hour in hours:  # 20 orders per batch: many share one modified second
        with clock(sandbox_store, now_gmt=hour):
            batch = [{"customer_id": customer, "line_items": [{"sku": sku}], "set_paid": i % 2 == 0,
                      "payment_method": "sandbox_card"} for i in range(20)]
            created = api.post("orders/batch", {"create": batch}).json()["create"]
            assert all("error" not in o for o in created)
    everything = api.get("orders", params={"customer": customer, "per_page": 100}).json()
    assert len(everything) == 60
    oldest = min(everything, key=lambda o: o["id"])
    assert oldest["date_created_gmt"].startswith("2021-03-01T10:00")
    assert oldest["date_paid_gmt"].startswith("2021-03-01T10:00")  # set_paid while the clock was back
    assert oldest["date_created"].startswith("2021-03-01T05:00")  # the fixture's site is UTC-5

    window = {"customer": customer, "dates_are_gmt": "true", "modified_after": "2021-03-01T09:59:59",
              "modified_before": "2021-03-01T13:00:00"}
    for orderby, key in (("modified", lambda o: (o["date_modified_gmt"], o["id"])),
                         ("date", lambda o: (o["date_created_gmt"], o["id"])),
                         ("id", lambda o: o["id"])):
        rows, total = _page_all(api, {**window, "orderby": orderby, "order": "asc"}, per_page=7)
        ids = [o["id"] for o in rows]
        assert total == 60 and len(ids) == len(set(ids)) == 60, orderby  # no row twice, none lost
        assert rows == sorted(rows, key=key), orderby
    later = api.get("orders", params={**window, "modified_after": "2021-03-01T11:30:00"})
    assert later.headers["X-WP-Total"] == "20"
    # the same wall-clock strings read as site-local time (dates_are_gmt=false) lie 5 hours later
    local = api.get("orders", params={**window, "dates_are_gmt": "false"})
    assert local.headers["X-WP-Total"] == "0"
    local_window = {**window, "dates_are_gmt": "false", "modified_after": "2021-03-01T04:59:59",
                    "modified_before": "2021-03-01T08:00:00"}
    assert api.get("orders", params=local_window).headers["X-WP-Total"] == "60"

    # an old order touched today leaves the historical window and enters today's
    touched = api.put(f"orders/{oldest['id']}", {"customer_note": "reopened"}).json()
    assert api.get("orders", params=window).headers["X-WP-Total"] == "59"
    today = api.get("orders", params={"customer": customer, "dates_are_gmt": "true",
                                      "modified_after": "2021-03-02T00:00:00"}).json()
    assert [o["id"] for o in today] == [touched["id"]]


def test_the_clock_is_checked(sandbox_store):
    url = f"{sandbox_store.url}/__sandbox/clock"
    for bad in ({"now_gmt": "yesterday"}, {"offset_seconds": "soon"}, {"offset_seconds": 1e12}):
        assert httpx.put(url, json=bad, timeout=10).status_code == 400, bad
    with clock(sandbox_store, now_gmt="2020-01-01T00:00:00") as moved:
        assert moved["now_gmt"].startswith("2020-01-01T00:00")
