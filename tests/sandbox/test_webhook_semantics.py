"""Webhook semantics a real WooCommerce 9.9 has (CONTRACT.md 7.5 and 11), each
with the setting that turns it off: late payloads, merged pending deliveries,
at-most-once delivery, the disable rule, and delivery through WP-Cron."""
from __future__ import annotations

import time

import httpx

from tests.fixtures.store import SandboxStore
from tests.sandbox.support import deliveries, log_for, own_sku, queued, unique, wait_until

LATER = 30_000  # ms: a cron run far enough away that the test decides when it happens


def _product(api) -> str:
    """A product of this test's own, as the endpoint its updates go to."""
    resp = api.post("products", {"name": unique("Hooked"), "regular_price": "5.00"})
    assert resp.status_code == 201, resp.text
    return f"products/{resp.json()['id']}"


def _order(api, **fields) -> dict:
    resp = api.post("orders", {"payment_method": "sandbox_card",
                               "line_items": [{"sku": own_sku(api, "12.50")}], **fields})
    assert resp.status_code == 201, resp.text
    return resp.json()


# -- a. the payload is built when the delivery runs ------------------------------------
def test_an_order_created_body_already_holds_a_later_refund(sandbox_store, webhook_receiver, hook):
    hook("order.created")
    api = sandbox_store.api()
    with sandbox_store.settings(webhook_cron_delay_ms=LATER):
        placed = _order(api, set_paid=True)
        refund = api.post(f"orders/{placed['id']}/refunds", {"amount": placed["total"]})
        assert refund.status_code == 201, refund.text
        sandbox_store.drain_webhooks()
    (body,) = [b for b in deliveries(webhook_receiver, "order.created") if b["id"] == placed["id"]]
    assert placed["status"] == "processing" and placed["refunds"] == []
    assert body["status"] == "refunded"  # the state when the delivery ran
    assert [r["id"] for r in body["refunds"]] == [refund.json()["id"]]


def test_event_payloads_snapshot_the_order_when_the_event_fired(sandbox_store, webhook_receiver, hook):
    hook("order.created")
    api = sandbox_store.api()
    with sandbox_store.settings(webhook_payload="event", webhook_cron_delay_ms=LATER):
        placed = _order(api, set_paid=True)
        api.post(f"orders/{placed['id']}/refunds", {"amount": placed["total"]})
        sandbox_store.drain_webhooks()
    (body,) = [b for b in deliveries(webhook_receiver, "order.created") if b["id"] == placed["id"]]
    assert (body["status"], body["refunds"]) == ("processing", [])
    assert body["date_modified_gmt"] == placed["date_modified_gmt"]


# -- b. pending deliveries for one webhook and resource are merged ------------------------
def test_updates_while_a_delivery_is_pending_make_one_delivery(sandbox_store, webhook_receiver, hook):
    webhook = hook("order.updated")
    api = sandbox_store.api()
    placed = _order(api)
    with sandbox_store.settings(webhook_cron_delay_ms=LATER):
        for note in ("a", "b", "c"):
            api.put(f"orders/{placed['id']}", {"customer_note": note})
        assert len(queued(sandbox_store, webhook["id"])) == 1
        sandbox_store.drain_webhooks()
    assert [b["customer_note"] for b in deliveries(webhook_receiver, "order.updated")] == ["c"]


def test_without_merging_each_update_is_delivered_with_the_state_of_its_run(
        sandbox_store, webhook_receiver, hook):
    webhook = hook("order.updated")
    api = sandbox_store.api()
    placed = _order(api)
    with sandbox_store.settings(webhook_coalesce=False, webhook_cron_delay_ms=LATER):
        for note in ("a", "b", "c"):
            api.put(f"orders/{placed['id']}", {"customer_note": note})
        assert len(queued(sandbox_store, webhook["id"])) == 3
        sandbox_store.drain_webhooks()
    # three deliveries, all built late: each carries the state when it ran
    assert [b["customer_note"] for b in deliveries(webhook_receiver, "order.updated")] == ["c"] * 3
    with sandbox_store.settings(webhook_coalesce=False, webhook_payload="event",
                                webhook_cron_delay_ms=LATER):
        for note in ("x", "y"):
            api.put(f"orders/{placed['id']}", {"customer_note": note})
        sandbox_store.drain_webhooks()
    assert [b["customer_note"] for b in deliveries(webhook_receiver, "order.updated")][3:] == ["x", "y"]


def test_one_request_delivers_once_per_resource_even_unmerged(sandbox_store, webhook_receiver, hook):
    """A status change to refunded fires woocommerce_update_order and
    woocommerce_order_refunded: the webhook processes the order once per request."""
    webhook = hook("order.updated")
    api = sandbox_store.api()
    placed = _order(api, set_paid=True)
    with sandbox_store.settings(webhook_coalesce=False, webhook_cron_delay_ms=LATER):
        assert api.put(f"orders/{placed['id']}", {"status": "refunded"}).status_code == 200
        assert len(queued(sandbox_store, webhook["id"])) == 1
        sandbox_store.drain_webhooks()
    assert len(deliveries(webhook_receiver, "order.updated")) == 1


# -- c. at most once; the disable rule ------------------------------------------------------
def test_a_failed_delivery_is_never_retried(sandbox_store, webhook_receiver, hook):
    webhook = hook("product.updated")
    webhook_receiver.status = 500
    api = sandbox_store.api()
    product = _product(api)
    api.put(product, {"description": "fails once"})
    sandbox_store.drain_webhooks()
    assert [(d["attempt"], d["ok"]) for d in log_for(sandbox_store, webhook["id"])] == [(1, False)]
    assert queued(sandbox_store, webhook["id"]) == []
    with sandbox_store.settings(webhook_retries=2):
        api.put(product, {"description": "retried twice"})
        sandbox_store.drain_webhooks()
    attempts = [(d["attempt"], d["ok"]) for d in log_for(sandbox_store, webhook["id"])][1:]
    assert attempts == [(1, False), (2, False), (3, False)]


def test_disabled_by_the_failure_after_more_than_max_failures(sandbox_store, webhook_receiver, hook):
    """failed_delivery(): disable when failure_count > max, else count one more.
    With max 1: counts 1, 2, then the third failure disables and the count stays 2."""
    webhook = hook("product.updated")
    webhook_receiver.status = 404
    api = sandbox_store.api()
    product = _product(api)
    seen = []
    with sandbox_store.settings(webhook_max_failures=1):
        for i in range(3):
            api.put(product, {"description": f"f{i}"})
            sandbox_store.drain_webhooks()
            state = sandbox_store.admin("GET", f"webhooks/{webhook['id']}")
            seen.append((state["status"], state["failure_count"]))
    assert seen == [("active", 1), ("active", 2), ("disabled", 2)]
    assert len(log_for(sandbox_store, webhook["id"])) == 3  # the third one was sent, then disabled


def test_a_delivery_queued_before_a_pause_still_goes_out(sandbox_store, webhook_receiver, hook):
    """wc_deliver_webhook_async does not look at the status again."""
    webhook = hook("product.updated")
    api = sandbox_store.api()
    product = _product(api)
    with sandbox_store.settings(webhook_cron_delay_ms=LATER):
        api.put(product, {"description": "before the pause"})
        assert api.put(f"webhooks/{webhook['id']}", {"status": "paused"}).json()["status"] == "paused"
        api.put(product, {"description": "while paused"})  # not queued: paused at the event
        sandbox_store.drain_webhooks()
    assert [b["description"] for b in deliveries(webhook_receiver, "product.updated")] == ["while paused"]
    assert len(log_for(sandbox_store, webhook["id"])) == 1


# -- d. WP-Cron: late, or only once someone visits ------------------------------------------
def test_wp_cron_delivers_only_after_the_next_request_to_the_site(sandbox_store, webhook_receiver, hook):
    webhook = hook("product.updated")
    api = sandbox_store.api()
    product = _product(api)
    with sandbox_store.settings(webhook_cron="page_view"):
        api.put(product, {"description": "needs a visitor"})
        # the request that queued it does not run it: queued at its shutdown
        assert [q["waiting_for_page_view"] for q in queued(sandbox_store, webhook["id"])] == [True]
        assert deliveries(webhook_receiver) == []
        visit = time.time()
        assert api.get("products/1").status_code == 200  # any request to the site
        wait_until(lambda: deliveries(webhook_receiver), what="the delivery after a page view")
        assert log_for(sandbox_store, webhook["id"])[0]["at"] >= visit

        api.put(product, {"description": "a shopper's page view"})
        assert queued(sandbox_store, webhook["id"])[0]["waiting_for_page_view"]
        sandbox_store.admin("POST", "page_view")
        wait_until(lambda: len(deliveries(webhook_receiver)) == 2, what="the second delivery")

        api.put(product, {"description": "released by the switch back"})
        assert queued(sandbox_store, webhook["id"])
    # leaving page_view mode (the settings reset) hands waiting deliveries to the runner
    wait_until(lambda: len(deliveries(webhook_receiver)) == 3, what="the stranded delivery")
    assert deliveries(webhook_receiver)[-1]["description"] == "released by the switch back"


def test_a_cron_runner_delivers_after_its_delay(sandbox_store, webhook_receiver, hook):
    webhook = hook("product.updated")
    api = sandbox_store.api()
    product = _product(api)
    with sandbox_store.settings(webhook_cron_delay_ms=800):
        started = time.time()
        api.put(product, {"description": "late"})
        (pending,) = queued(sandbox_store, webhook["id"])
        assert not pending["waiting_for_page_view"] and pending["due_in_ms"] > 300
        wait_until(lambda: deliveries(webhook_receiver), what="the late delivery")
    assert log_for(sandbox_store, webhook["id"])[0]["at"] - started >= 0.75


def test_page_view_delay_counts_from_the_visit(sandbox_store, webhook_receiver, hook):
    webhook = hook("product.updated")
    api = sandbox_store.api()
    product = _product(api)
    with sandbox_store.settings(webhook_cron="page_view", webhook_cron_delay_ms=600):
        api.put(product, {"description": "visit, then wait"})
        visit = time.time()
        sandbox_store.admin("POST", "page_view")
        (pending,) = queued(sandbox_store, webhook["id"])
        assert not pending["waiting_for_page_view"] and pending["due_in_ms"] > 200
        wait_until(lambda: deliveries(webhook_receiver), what="the delivery after the cron delay")
    assert log_for(sandbox_store, webhook["id"])[0]["at"] - visit >= 0.55


def test_settings_are_checked(sandbox_store):
    url = f"{sandbox_store.url}/__sandbox/settings"
    for bad in ({"webhook_cron": "sometimes"}, {"webhook_retries": -1}, {"nope": 1},
                {"webhook_max_failures": "5"}, {"webhook_cron_delay_ms": 10**9}):
        assert httpx.put(url, json=bad, timeout=10).status_code == 400, bad
    assert httpx.get(url, timeout=10).json() == {
        "webhook_payload": "delivery", "webhook_coalesce": True, "webhook_max_failures": 5,
        "webhook_retries": 0, "webhook_cron": "runner", "webhook_cron_delay_ms": 0}


def test_cli_flags_set_the_start_up_settings(tmp_path):
    store = SandboxStore(tmp_path / "data", tmp_path / "store.log", extra_args=(
        "--webhook-cron", "page_view", "--webhook-cron-delay-ms", "250", "--no-webhook-coalesce",
        "--webhook-max-failures", "9"))
    store.start()
    try:
        started = store.admin("GET", "settings")
        assert (started["webhook_cron"], started["webhook_cron_delay_ms"], started["webhook_coalesce"],
                started["webhook_max_failures"]) == ("page_view", 250, False, 9)
        store.admin("PUT", "settings", {"webhook_cron": "runner"})
        assert store.admin("DELETE", "settings") == started  # back to the flags, not the defaults
    finally:
        store.stop()
