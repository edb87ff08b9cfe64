"""Webhooks are hints: WooCommerce delivers at most once. An order whose
deliveries were all lost is found again by `wooerp order sync`, which goes
through the same signal-with-start as a webhook."""
from __future__ import annotations

from tests.e2e.shop import MUG, Shop
from tests.e2e.stack import E2EStack


async def test_an_order_whose_webhooks_were_lost_is_recovered_by_sync(e2e: E2EStack, shop: Shop):
    with e2e.store.faults(webhook_drop_rate=1.0):
        placed = shop.place_order({MUG: 1})
        e2e.store.drain_webhooks()
        # Evidence, not a pause: the store's log says its delivery was dropped.
        mine = [d for d in e2e.store.deliveries() if d.get("resource_id") == placed["id"]]
    assert mine and all(d.get("dropped") for d in mine), mine
    assert not await e2e.saga_exists(placed["id"])  # no delivery reached the ingress, no saga

    synced = e2e.cli("order", "sync", "default", str(placed["id"]))
    assert synced.returncode == 0, synced.stderr
    assert f"order:default:{placed['id']}" in synced.stdout
    closed = await e2e.ship(placed["id"])
    assert closed.stage == "closed"

    again = e2e.cli("order", "sync", "default", str(placed["id"]))  # a closed saga stays closed
    assert again.returncode == 0 and "already closed" in again.stdout
    assert len(await e2e.erp_sale_ids(placed["id"])) == 1


async def test_webhooks_install_reactivates_a_disabled_webhook_and_keeps_the_others(
        e2e: E2EStack):
    """WooCommerce disables a webhook after repeated failed deliveries (an
    ingress restart is enough): `wooerp webhooks install` turns it back on,
    with the secret, and creates no duplicates."""
    api = e2e.store.api()
    ours = {h["topic"]: h for h in api.get("webhooks", params={"per_page": 100}).json()
            if h["delivery_url"] == e2e.webhook_url}
    assert set(ours) == {"order.created", "order.updated", "order.deleted", "order.restored"}
    disabled = ours["order.updated"]["id"]
    assert api.put(f"webhooks/{disabled}", {"status": "disabled"}).json()["status"] == "disabled"
    try:
        run = e2e.cli("webhooks", "install", "default")
        assert run.returncode == 0, run.stdout + run.stderr
        said = {line.split()[0]: line for line in run.stdout.splitlines() if line.strip()}
        assert f"webhook {disabled} reactivated -> {e2e.webhook_url}" in said["order.updated"]
        for topic in ("order.created", "order.deleted", "order.restored"):
            assert f"webhook {ours[topic]['id']} kept" in said[topic]
        assert api.get(f"webhooks/{disabled}").json()["status"] == "active"
    finally:
        if api.get(f"webhooks/{disabled}").json()["status"] != "active":
            api.put(f"webhooks/{disabled}", {"status": "active"})  # the next tests need it
    after = [h for h in api.get("webhooks", params={"per_page": 100}).json()
             if h["delivery_url"] == e2e.webhook_url]
    assert len(after) == 4 and {h["status"] for h in after} == {"active"}
