"""Webhooks are hints: WooCommerce delivers at most once. An order whose
deliveries were all lost is found again by `wooerp order sync`, which goes
through the same signal-with-start as a webhook."""
from __future__ import annotations

import asyncio

from tests.e2e.shop import MUG, Shop
from tests.e2e.stack import E2EStack


async def test_an_order_whose_webhooks_were_lost_is_recovered_by_sync(e2e: E2EStack, shop: Shop):
    with e2e.store.faults(webhook_drop_rate=1.0):
        placed = shop.place_order({MUG: 1})
        e2e.store.drain_webhooks()
    await asyncio.sleep(1)
    assert await e2e.status(placed["id"]) is None  # no delivery, no saga

    synced = e2e.cli("order", "sync", "default", str(placed["id"]))
    assert synced.returncode == 0, synced.stderr
    assert f"order:default:{placed['id']}" in synced.stdout
    closed = await e2e.ship(placed["id"])
    assert closed.stage == "closed"

    again = e2e.cli("order", "sync", "default", str(placed["id"]))  # a closed saga stays closed
    assert again.returncode == 0 and "already closed" in again.stdout
    assert len(await e2e.erp_sale_ids(placed["id"])) == 1
