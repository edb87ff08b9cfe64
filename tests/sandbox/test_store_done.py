"""Issue 3's "Done when", with the unmodified `woocommerce` client against the sandbox store."""
from __future__ import annotations

import math
from decimal import Decimal

from systems.woocommerce.webhooks import is_ping, verify


def _new_product(api, sku: str, stock: int = 10, price: str = "25.00") -> dict:
    resp = api.post("products", {"name": f"Product {sku}", "sku": sku, "regular_price": price,
                                 "manage_stock": True, "stock_quantity": stock})
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_create_product_over_oauth_and_read_it_over_basic(sandbox_store):
    created = _new_product(sandbox_store.api(), "DONE-PRODUCT")
    assert created["manage_stock"] is True and created["stock_quantity"] == 10
    resp = sandbox_store.api(https=True).get(f"products/{created['id']}")
    assert resp.status_code == 200
    assert resp.json()["sku"] == "DONE-PRODUCT"


def test_paid_order_of_three_units_reduces_managed_stock_by_three(sandbox_store):
    api = sandbox_store.api()
    product = _new_product(api, "DONE-STOCK", stock=10)
    resp = api.post("orders", {"set_paid": True, "payment_method": "sandbox_card",
                               "line_items": [{"product_id": product["id"], "quantity": 3}]})
    assert resp.status_code == 201, resp.text
    order = resp.json()
    assert order["status"] == "processing"
    assert order["date_paid_gmt"] is not None
    assert order["total"] == "82.50"  # 3 x 25.00 + 10 % tax
    assert api.get(f"products/{product['id']}").json()["stock_quantity"] == 7
    assert sandbox_store.stock("DONE-STOCK") == 7


def test_page_through_250_orders(sandbox_store):
    api = sandbox_store.api()
    customer = api.post("customers", {"email": "pager@example.com"}).json()
    for start in range(0, 250, 100):
        batch = [{"customer_id": customer["id"], "line_items": [{"sku": "WOO-POSTER"}]}
                 for _ in range(min(100, 250 - start))]
        resp = api.post("orders/batch", {"create": batch})
        assert resp.status_code == 200
        assert all("error" not in o for o in resp.json()["create"])
    seen: list[int] = []
    for page in range(1, 4):
        resp = api.get("orders", params={"customer": customer["id"], "per_page": 100, "page": page})
        assert resp.status_code == 200
        assert resp.headers["X-WP-Total"] == "250"
        assert resp.headers["X-WP-TotalPages"] == str(math.ceil(250 / 100))
        link = resp.headers.get("Link", "")
        assert ('rel="next"' in link) == (page < 3)
        assert ('rel="prev"' in link) == (page > 1)
        seen += [o["id"] for o in resp.json()]
    assert len(seen) == len(set(seen)) == 250
    past = api.get("orders", params={"customer": customer["id"], "per_page": 100, "page": 4})
    assert past.status_code == 200 and past.json() == []
    assert past.headers["X-WP-Total"] == "250"


def test_partial_then_full_refund(sandbox_store):
    api = sandbox_store.api()
    order = api.post("orders", {"set_paid": True, "payment_method": "sandbox_card",
                                "line_items": [{"sku": "WOO-MUG", "quantity": 2}]}).json()
    assert order["total"] == "27.50"
    partial = api.post(f"orders/{order['id']}/refunds", {"amount": "10.00", "reason": "chipped"})
    assert partial.status_code == 201, partial.text
    assert partial.json()["amount"] == "10.00" and partial.json()["refunded_payment"] is True
    assert api.get(f"orders/{order['id']}").json()["status"] == "processing"
    full = api.post(f"orders/{order['id']}/refunds", {"amount": "17.50"})
    assert full.status_code == 201, full.text
    after = api.get(f"orders/{order['id']}").json()
    assert after["status"] == "refunded"
    assert sorted(r["total"] for r in after["refunds"]) == ["-10.00", "-17.50"]
    too_much = api.post(f"orders/{order['id']}/refunds", {"amount": "0.01"})
    assert too_much.status_code == 500
    assert too_much.json() == {"code": "woocommerce_rest_cannot_create_order_refund",
                               "message": "Invalid refund amount.", "data": 500}


def test_exact_errors_for_missing_order_wrong_secret_and_per_page(sandbox_store):
    api = sandbox_store.api()
    missing = api.get("orders/987654321")
    assert (missing.status_code, missing.json()["code"]) == (404, "woocommerce_rest_shop_order_invalid_id")
    assert missing.json()["message"] == "Invalid ID."
    wrong = sandbox_store.api(consumer_secret="cs_not_the_secret").get("orders")
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "woocommerce_rest_authentication_error"
    assert wrong.json()["message"] == "Invalid signature - provided signature does not match."
    wrong_basic = sandbox_store.api(https=True, consumer_secret="cs_not_the_secret").get("orders")
    assert wrong_basic.status_code == 401
    assert wrong_basic.json() == {"code": "woocommerce_rest_authentication_error",
                                  "message": "Consumer secret is invalid.", "data": {"status": 401}}
    too_big = api.get("orders", params={"per_page": 101})
    assert too_big.status_code == 400
    body = too_big.json()
    assert body["code"] == "rest_invalid_param"
    assert body["message"] == "Invalid parameter(s): per_page"
    assert body["data"]["params"]["per_page"] == ("per_page must be between 1 (inclusive) "
                                                  "and 100 (inclusive)")
    assert body["data"]["details"]["per_page"]["code"] == "rest_out_of_bounds"


def test_webhook_receiver_gets_deliveries_whose_signature_verifies(sandbox_store, webhook_receiver):
    api = sandbox_store.api()
    secret = "whsec-done-when"
    hook = api.post("webhooks", {"topic": "order.created", "delivery_url": webhook_receiver.url,
                                 "secret": secret}).json()
    try:
        ping = webhook_receiver.wait_for(1)[0]  # synchronous ping, unsigned
        assert is_ping(ping.body) and ping.body == f"webhook_id={hook['id']}".encode()
        assert "X-WC-Webhook-Signature" not in ping.headers
        order = api.post("orders", {"line_items": [{"sku": "WOO-TSHIRT"}]}).json()
        sandbox_store.drain_webhooks()
        delivery = webhook_receiver.wait_for(2)[1]
        meta = verify(delivery.body, delivery.headers, secret)
        assert (meta.topic, meta.resource, meta.event) == ("order.created", "order", "created")
        assert meta.webhook_id == hook["id"]
        assert b"\\/" in delivery.body  # PHP's json_encode escapes slashes
        import json
        assert json.loads(delivery.body)["id"] == order["id"]
    finally:
        api.delete(f"webhooks/{hook['id']}", params={"force": "true"})


def test_restart_keeps_data_and_credentials(sandbox_store):
    api = sandbox_store.api()
    order = api.post("orders", {"line_items": [{"sku": "WOO-HOODIE"}]}).json()
    key = sandbox_store.consumer_key
    sandbox_store.restart()
    assert sandbox_store.consumer_key == key
    again = sandbox_store.api().get(f"orders/{order['id']}")
    assert again.status_code == 200
    assert Decimal(again.json()["total"]) == Decimal("49.50")
