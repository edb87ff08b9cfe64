"""`wooerp sandbox history`'s helpers on the sandbox store: orders on a past
day in the final states asked, the store's clock and webhooks as they were."""
from __future__ import annotations

from datetime import date

import pytest

from sandbox.store.history import is_sandbox, make_day, make_history, product_ids


def test_a_past_day_of_orders_in_final_states_and_the_store_put_back(sandbox_store):
    api = sandbox_store.api()
    hook = api.post("webhooks", {"name": "h", "topic": "order.created",
                                 "delivery_url": "http://127.0.0.1:9/hook"}).json()
    try:
        made = make_day(api, sandbox_store.url, date(2020, 5, 4), 7,
                        product_ids(api, ["WOO-MUG", "WOO-POSTER"]))
        assert {k: len(v) for k, v in made.items()} == {
            "completed": 4, "refunded": 1, "cancelled": 1, "failed": 1}
        for kind, ids in made.items():
            for oid in ids:
                order = api.get(f"orders/{oid}").json()
                assert order["status"] == kind and order["date_created_gmt"].startswith(
                    "2020-05-04"), order
                assert (order["date_paid_gmt"] is not None) == (kind in ("completed", "refunded"))
        [refunded] = made["refunded"]
        assert api.get(f"orders/{refunded}/refunds").json(), "a refunded order has its refund"
        assert abs(sandbox_store.admin("GET", "clock")["offset_seconds"]) < 1  # back to now
        assert api.get(f"webhooks/{hook['id']}").json()["status"] == "active"
    finally:
        api.delete(f"webhooks/{hook['id']}", params={"force": True})


def test_bad_ranges_and_stores_are_refused(sandbox_store):
    api = sandbox_store.api()
    with pytest.raises(ValueError, match="orders per day"):
        make_day(api, sandbox_store.url, date(2020, 5, 4), 0, [1])
    with pytest.raises(ValueError, match="days"):
        make_history(api, sandbox_store.url, date(2020, 1, 1), date(2021, 6, 1), 1, ["WOO-MUG"])
    with pytest.raises(RuntimeError, match="no product NOPE"):
        product_ids(api, ["NOPE"])
    assert is_sandbox(sandbox_store.url) and not is_sandbox("http://127.0.0.1:9")
