"""systems.woocommerce.client.WooClient against the sandbox store: calls and error classes."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from activities.errors import to_application_error
from systems.woocommerce.client import StockUpdate, WooClient
from systems.woocommerce.errors import (WooAuthError, WooClientError, WooNotFoundError,
                                        WooRetryableError, parse_retry_after)


@pytest.fixture(scope="module")
def client(sandbox_store) -> WooClient:
    return sandbox_store.client()


def _paid_order(sandbox_store, sku: str = "WOO-MUG", qty: int = 1) -> dict:
    return sandbox_store.api().post("orders", {
        "set_paid": True, "payment_method": "sandbox_card",
        "line_items": [{"sku": sku, "quantity": qty}]}).json()


def test_get_update_note_and_refund(sandbox_store, client):
    order = _paid_order(sandbox_store, qty=2)
    assert client.get_order(order["id"])["id"] == order["id"]
    updated = client.update_order(order["id"], status="completed",
                                  meta_data=[{"key": "_wooerp_erp_document", "value": "SO-9"}])
    assert updated["status"] == "completed"
    note = client.add_order_note(order["id"], "Shipped: 1Z999", customer_note=True)
    assert note["customer_note"] is True
    refund = client.create_refund(order["id"], Decimal("5.00"), reason="dent")
    assert refund["amount"] == "5.00"
    assert [r["id"] for r in client.list_refunds(order["id"])] == [refund["id"]]
    with pytest.raises(TypeError):
        client.create_refund(order["id"], 5.0, reason="float")  # type: ignore[arg-type]


def test_missing_order_is_a_typed_client_error(client):
    with pytest.raises(WooNotFoundError) as err:
        client.get_order(987654321)
    assert (err.value.code, err.value.status) == ("woocommerce_rest_shop_order_invalid_id", 404)
    app = to_application_error(err.value)
    assert app.type == "WooNotFoundError" and app.non_retryable


def test_refund_rejection_is_non_retryable_even_though_woocommerce_says_500(sandbox_store, client):
    order = _paid_order(sandbox_store)
    with pytest.raises(WooClientError) as err:
        client.create_refund(order["id"], Decimal("999.00"))
    assert not isinstance(err.value, WooRetryableError)
    assert (err.value.code, err.value.status, err.value.message) == (
        "woocommerce_rest_cannot_create_order_refund", 500, "Invalid refund amount.")


def test_list_and_iterate_orders_modified_after(sandbox_store, client):
    since = datetime.now(timezone.utc) - timedelta(seconds=2)
    made = [_paid_order(sandbox_store)["id"] for _ in range(3)]
    page = client.list_orders(modified_after=since, per_page=2)
    assert page.total >= 3 and page.total_pages >= 2 and len(page.items) == 2
    seen = [o["id"] for o in client.iter_orders(modified_after=since)]
    assert set(made) <= set(seen) and len(seen) == len(set(seen))
    mods = [o["date_modified_gmt"] for o in client.list_orders(modified_after=since).items]
    assert mods == sorted(mods)  # oldest modification first
    with pytest.raises(ValueError):
        client.list_orders(modified_after=datetime(2024, 1, 1))  # naive: ambiguous


def test_product_by_sku_finds_products_and_variations(client):
    mug = client.product_by_sku("WOO-MUG")
    red = client.product_by_sku("WOO-CAP-RED")
    assert mug["type"] == "simple" and red["type"] == "variation" and red["parent_id"]
    assert client.product_by_sku("NO-SUCH-SKU") is None


def test_batch_update_stock_chunks_at_100_and_handles_variations(sandbox_store, client):
    api = sandbox_store.api()
    made = api.post("products/batch", {"create": [
        {"name": f"Bulk {i}", "sku": f"BULK-{i:03d}", "regular_price": "1.00",
         "manage_stock": True, "stock_quantity": 0} for i in range(100)]}).json()["create"]
    made.append(api.post("products", {"name": "Bulk 100", "sku": "BULK-100", "regular_price": "1",
                                      "manage_stock": True, "stock_quantity": 0}).json())
    red = client.product_by_sku("WOO-CAP-RED")
    updates = [StockUpdate(p["id"], 7) for p in made]
    updates.append(StockUpdate(red["id"], 11, parent_id=red["parent_id"]))
    updates.append(StockUpdate(987654321, 1))
    result = client.batch_update_stock(updates)
    assert len(result.updated) == 102
    assert [e["code"] for e in result.errors] == ["woocommerce_rest_product_invalid_id"]
    assert sandbox_store.stock("BULK-100") == 7 and sandbox_store.stock("WOO-CAP-RED") == 11


def test_webhook_calls(sandbox_store, client):
    hook = client.create_webhook("order.updated", "http://127.0.0.1:9/never", "s3cret", name="c")
    assert hook["status"] == "active"
    assert hook["id"] in [h["id"] for h in client.list_webhooks()]
    assert client.update_webhook(hook["id"], status="paused")["status"] == "paused"
    sandbox_store.api().delete(f"webhooks/{hook['id']}", params={"force": "true"})


def test_https_basic_auth_and_wrong_secret(sandbox_store):
    assert sandbox_store.client(https=True).product_by_sku("WOO-MUG")["sku"] == "WOO-MUG"
    wrong = WooClient(sandbox_store.tls_url, sandbox_store.consumer_key, "cs_wrong",
                      verify=str(sandbox_store.cert), timeout=10)
    with pytest.raises(WooAuthError) as err:
        wrong.product_by_sku("WOO-MUG")
    assert err.value.message == "Consumer secret is invalid." and err.value.status == 401


def test_429_and_5xx_are_retryable_and_retry_after_is_honoured(sandbox_store, client):
    with sandbox_store.faults(rest_429_rate=1.0, retry_after=7):
        with pytest.raises(WooRetryableError) as err:
            client.product_by_sku("WOO-MUG")
    assert (err.value.status, err.value.retry_after) == (429, 7.0)
    app = to_application_error(err.value)
    assert not app.non_retryable and app.next_retry_delay == timedelta(seconds=7)
    with sandbox_store.faults(rest_5xx_rate=1.0, rest_5xx_status=502):
        with pytest.raises(WooRetryableError) as err5:
            client.product_by_sku("WOO-MUG")
    assert err5.value.status == 502 and err5.value.retry_after is None


def test_5xx_after_the_write_still_applied_it(sandbox_store, client):
    order = _paid_order(sandbox_store)
    with sandbox_store.faults(rest_5xx_rate=1.0, rest_5xx_mode="after"):
        with pytest.raises(WooRetryableError):
            client.add_order_note(order["id"], "lost answer")
    notes = sandbox_store.api().get(f"orders/{order['id']}/notes").json()
    assert "lost answer" in [n["note"] for n in notes]  # why activities look before they write


def test_timeouts_and_refused_connections_are_retryable(sandbox_store):
    slow = sandbox_store.client(timeout=0.2)
    with sandbox_store.faults(latency_rate=1.0, latency_ms=1000):
        with pytest.raises(WooRetryableError, match="Timeout"):
            slow.product_by_sku("WOO-MUG")
    closed = WooClient("http://127.0.0.1:9", "ck_x", "cs_secret_never_logged", timeout=2)
    with pytest.raises(WooRetryableError) as err:
        closed.get_order(1)
    assert "cs_secret_never_logged" not in str(err.value)
    assert "oauth_signature" not in str(err.value)


def test_parse_retry_after_accepts_seconds_and_http_dates():
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None


def test_targeted_fail_next_faults_then_success(sandbox_store, client):
    """Two refused refund POSTs, then the third goes through: what retry tests need."""
    order = _paid_order(sandbox_store)
    with sandbox_store.faults(rest_5xx_next=2, rest_methods=["POST"], rest_path=r"^orders/\d+/refunds$"):
        assert client.get_order(order["id"])["id"] == order["id"]  # not targeted
        for _ in range(2):
            with pytest.raises(WooRetryableError):
                client.create_refund(order["id"], Decimal("1.00"))
        assert client.create_refund(order["id"], Decimal("1.00"))["amount"] == "1.00"
    assert len(client.list_refunds(order["id"])) == 1


def test_clock_skew_makes_old_orders_for_modified_after_windows(sandbox_store, client):
    sandbox_store.admin("PUT", "clock", {"offset_seconds": -3 * 86400})
    try:
        old = _paid_order(sandbox_store)
    finally:
        sandbox_store.admin("PUT", "clock", {"offset_seconds": 0})
    new = _paid_order(sandbox_store)
    since = datetime.now(timezone.utc) - timedelta(days=1)
    ids = {o["id"] for o in client.iter_orders(modified_after=since)}
    assert new["id"] in ids and old["id"] not in ids


def test_a_process_that_reseeds_random_is_not_refused_for_a_reused_nonce(sandbox_store, client):
    # The package's nonce is drawn from `random`: reseeded, it repeats at once,
    # and the store refuses the second call with 401 "Invalid nonce".
    for _ in range(2):
        random.seed(42)
        assert client.get_order(_paid_order(sandbox_store)["id"])["status"] == "processing"
