"""POST orders with a final status, with and without set_paid, as WooCommerce's
save_object() runs it: the status is set and saved first, then payment_complete()
moves only an unpaid order (on-hold, pending, failed, cancelled)."""
from __future__ import annotations

import pytest

from tests.sandbox.support import unique

# status sent, set_paid -> status, date_paid set, date_completed set, stock reduced
CASES = [
    ("completed", True, "completed", True, True, True),  # measured on a real 9.9.5
    ("completed", False, "completed", True, True, True),  # maybe_set_date_paid
    ("processing", False, "processing", True, False, True),
    ("pending", True, "processing", True, False, True),
    ("on-hold", False, "on-hold", False, False, True),
    ("on-hold", True, "processing", True, False, True),
    ("failed", False, "failed", False, False, False),
    ("failed", True, "processing", True, False, True),
    ("cancelled", False, "cancelled", False, False, False),  # measured on a real 9.9.5
    ("cancelled", True, "processing", True, False, True),  # cancelled is payable: source
    ("refunded", False, "refunded", False, False, False),
    ("refunded", True, "refunded", False, False, False),
]


@pytest.fixture(scope="module")
def api(sandbox_store):
    return sandbox_store.api()


def _product(api, **fields) -> dict:
    resp = api.post("products", {"name": unique("Status"), "regular_price": "10.00",
                                 "manage_stock": True, "stock_quantity": 10, **fields})
    assert resp.status_code == 201, resp.text
    return resp.json()


@pytest.mark.parametrize("status,set_paid,want,paid,completed,reduced", CASES)
def test_create_with_a_final_status(api, status, set_paid, want, paid, completed, reduced):
    product = _product(api)
    resp = api.post("orders", {"status": status, "set_paid": set_paid, "payment_method": "sandbox_card",
                               "line_items": [{"product_id": product["id"], "quantity": 2}]})
    assert resp.status_code == 201, resp.text
    order = resp.json()
    assert order["status"] == want
    assert (order["date_paid_gmt"] is not None, order["date_completed_gmt"] is not None) == (paid, completed)
    assert (order["date_paid"] is not None) == paid  # the site-local twin too
    stock = api.get(f"products/{product['id']}").json()["stock_quantity"]
    assert stock == (8 if reduced else 10)
    assert api.get(f"orders/{order['id']}").json()["status"] == want  # as stored, not just as answered
    if want == "refunded":  # wc_order_fully_refunded refunds the whole total
        assert [r["total"] for r in order["refunds"]] == [f"-{order['total']}"]
        assert order["refunds"][0]["reason"] == "Order fully refunded."


def test_completed_and_paid_keeps_its_notes_and_payment_date(api):
    product = _product(api)
    order = api.post("orders", {"status": "completed", "set_paid": True, "transaction_id": "txn-1",
                                "line_items": [{"product_id": product["id"]}]}).json()
    assert order["date_paid_gmt"] <= order["date_completed_gmt"]
    assert order["transaction_id"] == "txn-1"
    notes = [n["note"] for n in api.get(f"orders/{order['id']}/notes").json()]
    assert "Order status changed from Pending payment to Completed." in notes
    assert not any("to Processing" in n for n in notes)  # never passed through processing


def test_an_order_of_downloads_only_completes_on_payment(api):
    download = _product(api, virtual=True, downloadable=True)
    order = api.post("orders", {"set_paid": True, "line_items": [{"product_id": download["id"]}]}).json()
    assert (order["status"], order["needs_processing"]) == ("completed", False)
    assert order["date_paid_gmt"] and order["date_completed_gmt"]
    shipped = _product(api)
    mixed = api.post("orders", {"set_paid": True, "line_items": [{"product_id": download["id"]},
                                                                 {"product_id": shipped["id"]}]}).json()
    assert (mixed["status"], mixed["needs_processing"]) == ("processing", True)


def test_set_paid_on_update_only_moves_an_order_that_needs_payment(api):
    product = _product(api)
    order = api.post("orders", {"status": "on-hold", "line_items": [{"product_id": product["id"]}]}).json()
    # on-hold does not need payment (only pending and failed do): set_paid is ignored
    held = api.put(f"orders/{order['id']}", {"set_paid": True}).json()
    assert (held["status"], held["date_paid_gmt"]) == ("on-hold", None)
    pending = api.post("orders", {"line_items": [{"product_id": product["id"]}]}).json()
    paid = api.put(f"orders/{pending['id']}", {"set_paid": True}).json()
    assert paid["status"] == "processing" and paid["date_paid_gmt"]
