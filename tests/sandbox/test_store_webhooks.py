"""CONTRACT.md section 7 and the fault injection, seen from a real receiver."""
from __future__ import annotations

import json

import pytest

from systems.woocommerce.webhooks import parse_headers, verify

SECRET = "whsec-contract"


@pytest.fixture
def hook(sandbox_store, webhook_receiver):
    api = sandbox_store.api()
    created = []

    def make(topic: str = "order.updated") -> dict:
        resp = api.post("webhooks", {"topic": topic, "delivery_url": webhook_receiver.url,
                                     "secret": SECRET, "name": "test"})
        assert resp.status_code == 201, resp.text
        created.append(resp.json()["id"])
        webhook_receiver.wait_for(len(created))  # the ping
        return resp.json()

    yield make
    for hid in created:
        api.delete(f"webhooks/{hid}", params={"force": "true"})


def _deliveries(receiver) -> list:
    return [r for r in receiver.requests if "X-WC-Webhook-Topic" in r.headers]


def test_delivery_headers_and_payload_at_delivery_time(sandbox_store, webhook_receiver, hook):
    webhook = hook("order.updated")
    api = sandbox_store.api()
    order = api.post("orders", {"line_items": [{"sku": "WOO-MUG"}]}).json()
    with sandbox_store.faults(webhook_delay_ms=5000):
        for note in ("a", "b", "c"):  # three updates while one delivery is pending
            api.put(f"orders/{order['id']}", {"customer_note": note})
        sandbox_store.drain_webhooks()
    got = _deliveries(webhook_receiver)
    assert len(got) == 1  # coalesced, carrying the latest state
    delivery = got[0]
    assert json.loads(delivery.body)["customer_note"] == "c"
    meta = verify(delivery.body, delivery.headers, SECRET)
    assert meta.source == sandbox_store.url + "/"
    assert meta.webhook_id == webhook["id"] and len(meta.delivery_id) == 32
    assert delivery.headers["User-Agent"].startswith("WooCommerce/")
    assert delivery.headers["Content-Type"] == "application/json"


def test_refund_fires_order_updated(sandbox_store, webhook_receiver, hook):
    hook("order.updated")
    api = sandbox_store.api()
    order = api.post("orders", {"set_paid": True, "payment_method": "cod",
                                "line_items": [{"sku": "WOO-MUG"}]}).json()
    sandbox_store.drain_webhooks()
    count = len(_deliveries(webhook_receiver))
    api.post(f"orders/{order['id']}/refunds", {"amount": "1.00", "api_refund": False})
    sandbox_store.drain_webhooks()
    last = _deliveries(webhook_receiver)[count:]
    assert len(last) == 1 and json.loads(last[0].body)["refunds"][0]["total"] == "-1.00"


def test_webhook_is_disabled_on_the_seventh_consecutive_failure(sandbox_store, webhook_receiver, hook):
    webhook = hook("product.updated")
    webhook_receiver.status = 500
    api = sandbox_store.api()
    for i in range(7):
        api.put("products/1", {"description": f"v{i}"})
        sandbox_store.drain_webhooks()
        state = sandbox_store.admin("GET", f"webhooks/{webhook['id']}")
        assert state["status"] == ("disabled" if i == 6 else "active"), i
    assert api.get(f"webhooks/{webhook['id']}").json()["status"] == "disabled"
    api.put("products/1", {"description": "after"})
    sandbox_store.drain_webhooks()
    assert len(_deliveries(webhook_receiver)) == 7  # a disabled webhook delivers nothing


def test_redirects_count_as_success(sandbox_store, webhook_receiver, hook):
    webhook = hook("product.updated")
    webhook_receiver.status = 302
    for i in range(8):
        sandbox_store.api().put("products/2", {"description": f"r{i}"})
        sandbox_store.drain_webhooks()
    assert sandbox_store.admin("GET", f"webhooks/{webhook['id']}")["failure_count"] == 0


def test_webhook_resource_errors(sandbox_store):
    api = sandbox_store.api()
    bad = api.post("webhooks", {"topic": "order.shipped", "delivery_url": "http://127.0.0.1:9/x"})
    assert (bad.status_code, bad.json()["code"]) == (400, "woocommerce_rest_shop_webhook_invalid_topic")
    missing = api.post("webhooks", {"name": "x"})
    assert (missing.status_code, missing.json()["code"]) == (400, "rest_missing_callback_param")
    made = api.post("webhooks", {"topic": "order.created", "delivery_url": "http://127.0.0.1:9/x"}).json()
    assert made["status"] == "active" and "secret" not in made
    assert api.delete(f"webhooks/{made['id']}").status_code == 501
    assert api.delete(f"webhooks/{made['id']}", params={"force": "true"}).status_code == 200
    gone = api.put(f"webhooks/{made['id']}", {"status": "paused"})
    assert (gone.status_code, gone.json()["code"]) == (400, "woocommerce_rest_shop_webhook_invalid_id")


def test_faults_drop_and_duplicate_deliveries(sandbox_store, webhook_receiver, hook):
    hook("product.updated")
    api = sandbox_store.api()
    with sandbox_store.faults(webhook_drop_rate=1.0):
        api.put("products/3", {"description": "dropped"})
        sandbox_store.drain_webhooks()
    assert _deliveries(webhook_receiver) == []
    with sandbox_store.faults(webhook_duplicate_rate=1.0):
        api.put("products/3", {"description": "twice"})
        sandbox_store.drain_webhooks()
    twice = _deliveries(webhook_receiver)
    assert len(twice) == 2 and twice[0].body == twice[1].body


def test_faults_reorder_lets_a_later_event_overtake(sandbox_store, webhook_receiver, hook):
    hook("product.updated")
    api = sandbox_store.api()
    with sandbox_store.faults(webhook_reorder_rate=1.0):
        api.put("products/3", {"description": "first"})
    api.put("products/4", {"description": "second"})
    sandbox_store.drain_webhooks(timeout=15)
    got = webhook_receiver.wait_for(3)  # ping + 2
    ids = [json.loads(r.body)["id"] for r in _deliveries(webhook_receiver)]
    assert ids == [4, 3]
    assert parse_headers(got[-1].headers).topic == "product.updated"


def test_customer_created_payload_is_the_rest_representation(sandbox_store, webhook_receiver, hook):
    hook("customer.created")
    created = sandbox_store.api().post("customers", {"email": "hooked@example.com"}).json()
    sandbox_store.drain_webhooks()
    (delivery,) = _deliveries(webhook_receiver)
    payload = json.loads(delivery.body)
    assert payload == json.loads(json.dumps(created))
    assert payload["_links"]["self"][0]["href"].endswith(f"/customers/{created['id']}")


def test_refused_connections_count_and_re_enabling_keeps_the_count(sandbox_store):
    api = sandbox_store.api()
    hook = api.post("webhooks", {"topic": "product.updated", "secret": SECRET,
                                 "delivery_url": "http://127.0.0.1:9/closed"}).json()
    try:
        for i in range(7):
            api.put("products/4", {"description": f"refused {i}"})
            sandbox_store.drain_webhooks()
        state = sandbox_store.admin("GET", f"webhooks/{hook['id']}")
        assert (state["status"], state["failure_count"]) == ("disabled", 6)
        log = [d for d in sandbox_store.deliveries(hook["id"]) if not d.get("ping")]
        assert len(log) == 7 and all(d["status_code"] == 0 and d["error"] for d in log)
        api.put(f"webhooks/{hook['id']}", {"status": "active"})
        api.put("products/4", {"description": "once more"})
        sandbox_store.drain_webhooks()
        # failure_count stayed at 6, so one more failure disables it again
        assert sandbox_store.admin("GET", f"webhooks/{hook['id']}")["status"] == "disabled"
    finally:
        api.delete(f"webhooks/{hook['id']}", params={"force": "true"})
