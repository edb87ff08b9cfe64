"""CONTRACT.md sections 1-5 against the sandbox store, with the unmodified client."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

GMT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")


@pytest.fixture(scope="module")
def api(sandbox_store):
    return sandbox_store.api()


def _order(api, **fields) -> dict:
    body = {"line_items": [{"sku": "WOO-POSTER"}], **fields}
    resp = api.post("orders", body)
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_money_is_dp_formatted_raw_or_a_number_as_woocommerce_renders_it(api):
    order = _order(api, line_items=[{"sku": "WOO-HOODIE", "quantity": 1},
                                    {"sku": "WOO-CAP-BLUE", "quantity": 3}],
                   coupon_lines=[{"code": "SAVE10"}],
                   shipping_lines=[{"method_id": "flat_rate", "method_title": "Flat", "total": "4.00"}],
                   fee_lines=[{"name": "Gift wrap", "total": "3.00"}])
    hoodie, cap = order["line_items"]
    assert hoodie["subtotal"] == "45.00" and hoodie["total"] == "40.50"
    assert hoodie["taxes"] == [{"id": 1, "total": "4.05", "subtotal": "4.5"}]  # raw, trimmed
    assert cap["variation_id"] and cap["parent_name"] == "Cap" and cap["price"] == 18
    assert hoodie["price"] == 40.5  # a JSON number, total / quantity
    coupon = order["coupon_lines"][0]
    assert (coupon["code"], coupon["discount"], coupon["discount_tax"]) == ("save10", "10.5", "1.05")
    assert order["fee_lines"][0]["amount"] == ""
    assert order["shipping_lines"][0]["total_tax"] == "0.40"
    # everything re-adds to the order total
    parts = order["line_items"] + order["shipping_lines"] + order["fee_lines"]
    assert sum(Decimal(p["total"]) + Decimal(p["total_tax"]) for p in parts) == Decimal(order["total"])
    assert Decimal(order["total_tax"]) == sum(Decimal(t["tax_total"]) + Decimal(t["shipping_tax_total"])
                                              for t in order["tax_lines"])
    four = api.get(f"orders/{order['id']}", params={"dp": 4}).json()
    assert four["total"] == f"{Decimal(order['total']):.4f}"


def test_dates_are_site_local_with_gmt_twins_and_modified_after_honours_dates_are_gmt(api):
    order = _order(api)
    assert GMT.match(order["date_created_gmt"]) and GMT.match(order["date_created"])
    local = datetime.fromisoformat(order["date_created"])
    gmt = datetime.fromisoformat(order["date_created_gmt"])
    assert gmt - local == timedelta(minutes=300)  # the fixture's site is UTC-5
    just_before = (gmt - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")
    as_gmt = api.get("orders", params={"modified_after": just_before, "dates_are_gmt": "true",
                                       "per_page": 100}).json()
    assert order["id"] in [o["id"] for o in as_gmt]
    # the same wall-clock string read as site-local time lies five hours later
    as_local = api.get("orders", params={"modified_after": just_before, "per_page": 100}).json()
    assert order["id"] not in [o["id"] for o in as_local]


def test_status_filter_accepts_a_comma_list_and_rejects_unknown_values(api):
    held = _order(api, status="on-hold")
    found = api.get("orders", params={"status": "on-hold,failed", "per_page": 100}).json()
    assert held["id"] in [o["id"] for o in found]
    assert {o["status"] for o in found} <= {"on-hold", "failed"}
    bad = api.get("orders", params={"status": "shipped"})
    assert (bad.status_code, bad.json()["code"]) == (400, "rest_invalid_param")


def test_update_of_a_missing_order_is_400_and_order_writes_validate(api):
    resp = api.put("orders/987654321", {"status": "completed"})
    assert (resp.status_code, resp.json()["code"]) == (400, "woocommerce_rest_shop_order_invalid_id")
    for body, code in (({"line_items": [{"quantity": 1}]}, "woocommerce_rest_required_product_reference"),
                       ({"fee_lines": [{"total": "1"}]}, "woocommerce_rest_invalid_fee_item"),
                       ({"coupon_lines": [{"code": "nope"}]}, "woocommerce_rest_invalid_coupon"),
                       ({"customer_id": 99999}, "woocommerce_rest_invalid_customer_id")):
        bad = api.post("orders", body)
        assert (bad.status_code, bad.json()["code"]) == (400, code)


def test_status_changes_reduce_and_restore_stock_once(sandbox_store, api):
    before = sandbox_store.stock("WOO-TSHIRT")
    order = _order(api, line_items=[{"sku": "WOO-TSHIRT", "quantity": 2}])
    assert sandbox_store.stock("WOO-TSHIRT") == before  # pending: nothing reduced yet
    api.put(f"orders/{order['id']}", {"status": "processing"})
    api.put(f"orders/{order['id']}", {"status": "completed"})
    assert sandbox_store.stock("WOO-TSHIRT") == before - 2  # once per order
    api.put(f"orders/{order['id']}", {"status": "cancelled"})
    assert sandbox_store.stock("WOO-TSHIRT") == before
    notes = api.get(f"orders/{order['id']}/notes").json()
    assert any(n["note"].startswith("Stock levels increased") for n in notes)


def test_refund_restock_lines_and_gateway_rules(sandbox_store, api):
    order = _order(api, set_paid=True, payment_method="sandbox_card",
                   line_items=[{"sku": "WOO-MUG", "quantity": 2}])
    line = order["line_items"][0]
    stock = sandbox_store.stock("WOO-MUG")
    resp = api.post(f"orders/{order['id']}/refunds", {
        "api_restock": True,
        "line_items": [{"id": line["id"], "quantity": 1, "refund_total": "12.50",
                        "refund_tax": [{"id": 1, "refund_total": "1.25"}]}]})
    assert resp.status_code == 201, resp.text
    refund = resp.json()
    assert refund["amount"] == "13.75"  # computed from the lines when omitted
    item = refund["line_items"][0]
    assert item["quantity"] == -1 and item["total"] == "-12.50" and item["price"] == 12.5
    assert {"key": "_refunded_item_id", "value": str(line["id"])}.items() <= item["meta_data"][0].items()
    assert sandbox_store.stock("WOO-MUG") == stock + 1
    # no restock without api_restock, even on a full refund
    api.post(f"orders/{order['id']}/refunds", {"amount": "13.75", "api_restock": False})
    assert sandbox_store.stock("WOO-MUG") == stock + 1
    assert api.get(f"orders/{order['id']}").json()["status"] == "refunded"


def test_refund_error_quirks_answer_http_500(api):
    offline = _order(api, set_paid=True, payment_method="bacs")
    resp = api.post(f"orders/{offline['id']}/refunds", {"amount": "1.00"})
    assert resp.status_code == 500
    assert resp.json()["message"] == "The payment gateway for this order does not support automatic refunds."
    assert api.post(f"orders/{offline['id']}/refunds", {"amount": "1.00", "api_refund": False}).status_code == 201
    missing = api.post("orders/987654321/refunds", {"amount": "1.00"})
    assert (missing.status_code, missing.json()) == (500, {"code": "woocommerce_rest_invalid_order_id",
                                                           "message": "Invalid order ID.", "data": 404})
    negative = api.post(f"orders/{offline['id']}/refunds", {"amount": "-1", "api_refund": False})
    assert (negative.status_code, negative.json()["data"]) == (500, 400)


def test_status_refunded_refunds_the_remainder(api):
    order = _order(api, set_paid=True, payment_method="cod")
    api.post(f"orders/{order['id']}/refunds", {"amount": "2.00", "api_refund": False})
    api.put(f"orders/{order['id']}", {"status": "refunded"})
    refunds = api.get(f"orders/{order['id']}/refunds").json()
    assert sum(Decimal(r["amount"]) for r in refunds) == Decimal(order["total"])
    assert "Order fully refunded." in [r["reason"] for r in refunds]


def test_refund_moves_date_modified_for_modified_after_sync(api):
    order = _order(api, set_paid=True, payment_method="cod")
    api.post(f"orders/{order['id']}/refunds", {"amount": "1.00", "api_refund": False})
    after = api.get(f"orders/{order['id']}").json()
    assert after["date_modified_gmt"] >= order["date_modified_gmt"]
    assert after["refunds"][0]["total"] == "-1.00"


def test_products_by_sku_include_variations_and_skus_are_unique(api):
    found = api.get("products", params={"sku": "WOO-CAP-RED,WOO-MUG"}).json()
    assert {p["sku"] for p in found} == {"WOO-CAP-RED", "WOO-MUG"}
    red = next(p for p in found if p["sku"] == "WOO-CAP-RED")
    assert red["type"] == "variation" and red["parent_id"]
    via_product = api.put(f"products/{red['id']}", {"stock_quantity": 5})
    assert (via_product.status_code, via_product.json()["code"]) == (404, "woocommerce_rest_invalid_product_id")
    ok = api.put(f"products/{red['parent_id']}/variations/{red['id']}", {"stock_quantity": 29})
    assert ok.status_code == 200 and ok.json()["stock_quantity"] == 29
    dup = api.post("products", {"name": "Again", "sku": "WOO-MUG"})
    assert dup.status_code == 400
    assert dup.json()["code"] == "product_invalid_sku"
    assert dup.json()["data"]["resource_id"] == next(p["id"] for p in found if p["sku"] == "WOO-MUG")


def test_batch_limit_and_per_item_errors(api):
    too_many = api.post("products/batch", {"update": [{"id": 1}] * 101})
    assert too_many.status_code == 413
    assert too_many.json()["code"] == "woocommerce_rest_request_entity_too_large"
    order = _order(api)
    resp = api.post("orders/batch", {"update": [{"id": order["id"], "customer_note": "hi"},
                                                {"id": 987654321, "status": "completed"}]})
    assert resp.status_code == 200
    ok, failed = resp.json()["update"]
    assert ok["customer_note"] == "hi"
    assert failed == {"id": 987654321, "error": {"code": "woocommerce_rest_shop_order_invalid_id",
                                                 "message": "Invalid ID.", "data": {"status": 400}}}


def test_post_returns_201_with_location_and_meta_data_upserts_by_key(api):
    resp = api.post("orders", {"line_items": [{"sku": "WOO-MUG"}],
                               "meta_data": [{"key": "_erp", "value": "SO-1"}]})
    assert resp.status_code == 201
    assert resp.headers["Location"].endswith(f"/wp-json/wc/v3/orders/{resp.json()['id']}")
    oid = resp.json()["id"]
    updated = api.put(f"orders/{oid}", {"meta_data": [{"key": "_erp", "value": "SO-2"}]}).json()
    assert [m["value"] for m in updated["meta_data"] if m["key"] == "_erp"] == ["SO-2"]
    note = api.post(f"orders/{oid}/notes", {"note": "Shipped", "customer_note": True})
    assert note.status_code == 201 and note.json()["customer_note"] is True


def test_trash_then_already_trashed(api):
    order = _order(api)
    assert api.delete(f"orders/{order['id']}").status_code == 200
    again = api.delete(f"orders/{order['id']}")
    assert (again.status_code, again.json()["code"]) == (410, "woocommerce_rest_already_trashed")
    listed = api.get("orders", params={"include": str(order["id"])}).json()
    assert listed == []  # status=any leaves trash out


def test_gmt_dates_are_utc(api):
    order = _order(api)
    created = datetime.fromisoformat(order["date_created_gmt"]).replace(tzinfo=timezone.utc)
    assert abs(datetime.now(timezone.utc) - created) < timedelta(minutes=5)


def test_a_data_exception_on_create_leaves_a_checkout_draft(api, sandbox_store):
    resp = api.post("orders", {"line_items": [{"sku": "WOO-MUG"}, {"product_id": 987654321}]})
    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == "order_item_product_invalid_product"
    draft = api.get(f"orders/{body['data']['new_draft_order_id']}").json()
    assert draft["status"] == "checkout-draft"
    listed = api.get("orders", params={"include": str(draft["id"])}).json()
    assert [o["id"] for o in listed] == [draft["id"]]  # status=any includes drafts
    since = datetime.fromisoformat(draft["date_modified_gmt"]).replace(tzinfo=timezone.utc)
    page = sandbox_store.client().list_orders(modified_after=since - timedelta(seconds=1))
    assert page.total >= 1  # the store counted it ...
    assert draft["id"] not in [o["id"] for o in page.items]  # ... the sync client drops it


def test_line_refund_carries_negative_tax_lines(api):
    order = _order(api, set_paid=True, payment_method="cod", line_items=[{"sku": "WOO-MUG"}])
    line = order["line_items"][0]
    refund = api.post(f"orders/{order['id']}/refunds", {"api_refund": False, "line_items": [
        {"id": line["id"], "quantity": 1, "refund_total": "12.50",
         "refund_tax": [{"id": 1, "refund_total": "1.25"}]}]}).json()
    (tax,) = refund["tax_lines"]
    assert (tax["rate_id"], tax["tax_total"], tax["shipping_tax_total"]) == (1, "-1.25", "0.00")
