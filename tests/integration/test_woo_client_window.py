"""A reconciliation window's end: `modified_before` on the store's order list
(with dates_are_gmt, like `modified_after`)."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone


def _paid_order(sandbox_store) -> dict:
    return sandbox_store.api().post("orders", {
        "set_paid": True, "payment_method": "sandbox_card",
        "line_items": [{"sku": "WOO-MUG", "quantity": 1}]}).json()


def _gmt(order: dict) -> datetime:
    return datetime.fromisoformat(order["date_modified_gmt"]).replace(tzinfo=timezone.utc)


def test_orders_modified_at_or_after_the_window_end_are_left_out(sandbox_store):
    client = sandbox_store.client()
    early = _paid_order(sandbox_store)
    cut = _gmt(client.get_order(early["id"])) + timedelta(seconds=1)
    while datetime.now(timezone.utc) < cut:  # the store counts whole seconds
        time.sleep(0.05)
    late = _paid_order(sandbox_store)
    since = _gmt(client.get_order(early["id"])) - timedelta(seconds=1)
    inside = [o["id"] for o in client.list_orders(modified_after=since, modified_before=cut).items]
    everything = [o["id"] for o in client.list_orders(modified_after=since).items]
    assert early["id"] in inside and late["id"] not in inside
    assert late["id"] in everything
