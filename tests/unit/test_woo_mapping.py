"""systems.woocommerce.mapping: every reference example maps without loss and re-adds."""
from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from canonical.money import Money, total
from systems.woocommerce.mapping import (WooMappingError, order_from_woo, product_from_woo,
                                         refund_from_woo, unwrap)

# Real payloads (WooCommerce docs and client fixtures), kept in the repository
# so the suite runs wherever it is cloned; their origins: data/woocommerce/README.md.
EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "woocommerce"


def _load(name: str):
    return json.loads((EXAMPLES / name).read_text())


def _orders():
    yield "order_create_response.docs.json", _load("order_create_response.docs.json")
    yield "ios", unwrap(_load("order_with_coupon_tax_shipping.ios-fixture.json"))
    yield "webhook", _load("webhook_order_created_delivery_body.pipedream-fixture.json")
    batch = _load("orders_batch_update_response_fee_and_error.android-fixture.json")
    yield "android", batch["update"][0]


def _dec(raw: str) -> Decimal:
    return Decimal(raw or "0")


@pytest.mark.parametrize("name,raw", list(_orders()), ids=[n for n, _ in _orders()])
def test_order_examples_map_without_loss_and_re_add(name, raw):
    order = order_from_woo(raw, store="example")
    cur = raw["currency"]
    assert order.woo_id == raw["id"] and order.woo_status == raw["status"]
    for key in ("discount_total", "discount_tax", "shipping_total", "shipping_tax", "cart_tax",
                "total", "total_tax"):
        assert getattr(order, key) == Money.of(raw[key], cur), key
    assert [(l.line_id, l.sku, l.quantity, l.variation_id) for l in order.lines] == [
        (i["id"], i["sku"] or None, i["quantity"], i["variation_id"]) for i in raw["line_items"]]
    for line, item in zip(order.lines, raw["line_items"]):
        assert (line.subtotal.amount, line.total.amount, line.total_tax.amount) == (
            _dec(item["subtotal"]), _dec(item["total"]), _dec(item["total_tax"]))
        assert line.meta == {m["key"]: m["value"] for m in item["meta_data"]}
    assert len(order.shipping_lines) == len(raw["shipping_lines"])
    assert len(order.fee_lines) == len(raw["fee_lines"])
    assert [(c.code, c.discount.amount, c.discount_tax.amount) for c in order.coupon_lines] == [
        (c["code"], _dec(c["discount"]), _dec(c["discount_tax"])) for c in raw["coupon_lines"]]
    assert order.meta == {m["key"]: m["value"] for m in raw["meta_data"]}
    assert order.customer.woo_id == raw["customer_id"]
    assert order.customer.is_guest == (raw["customer_id"] == 0)
    assert order.date_created.utcoffset().total_seconds() == 0
    assert order.date_created.strftime("%Y-%m-%dT%H:%M:%S") == raw["date_created_gmt"]
    # WooCommerce's own totals re-add from the mapped parts
    assert order.computed_total() == order.total
    taxes = [*order.lines, *order.fee_lines]
    assert total((t.total_tax for t in taxes), cur) == order.cart_tax
    assert order.cart_tax + order.shipping_tax == order.total_tax
    assert total((l.subtotal - l.total for l in order.lines), cur) == order.discount_total
    tax_lines = sum(_dec(t["tax_total"]) + _dec(t["shipping_tax_total"]) for t in raw["tax_lines"])
    assert tax_lines == order.total_tax.amount


def test_variation_line_and_guest_customer():
    order = order_from_woo(_load("order_create_response.docs.json"), store="s")
    variation = order.lines[1]
    assert (variation.product_id, variation.variation_id, variation.sku) == (22, 23, "Bar3")
    assert variation.meta == {"pa_color": "black", "size": "M Test"}
    assert order.customer.is_guest and order.customer.email == "john.doe@example.com"
    assert order.is_paid and order.date_paid is not None


def test_refund_examples():
    line_refund = refund_from_woo(_load("order_refund_with_line_item.ios-fixture.json"), currency="USD")
    assert (line_refund.woo_id, line_refund.order_woo_id) == (562, 560)
    assert line_refund.amount == Money.of("27.00", "USD") and line_refund.refunded_payment
    (line,) = line_refund.lines
    assert (line.line_id, line.quantity, line.amount, line.tax) == (
        65, 1, Money.of("27.00", "USD"), Money.of("0", "USD"))
    assert line.sku == "HOODIE-SHIP-YOUR-IDEA-BLUE-XL"
    amount_only = refund_from_woo(_load("order_refund_create_response.docs.json"), currency="USD")
    assert (amount_only.order_woo_id, amount_only.amount.amount, amount_only.lines) == (723, Decimal("10.00"), [])


def test_product_examples():
    product = product_from_woo(_load("product_retrieve_response.docs.json"), "USD")
    assert (product.woo_id, product.price.amount, product.manage_stock) == (794, Decimal("21.99"), False)
    variation = product_from_woo(_load("product_variation_retrieve_response.docs.json"), "USD")
    assert (variation.woo_id, variation.woo_parent_id, variation.price.amount) == (732, 22, Decimal("9.00"))


def _broken(path: list, value) -> dict:
    raw = copy.deepcopy(_load("order_create_response.docs.json"))
    target = raw
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return raw


@pytest.mark.parametrize("path,value,field", [
    (["line_items", 1, "total"], "abc", "line_items[1].total"),
    (["line_items", 0, "subtotal"], 6.0, "line_items[0].subtotal"),  # a float lost cents
    (["total"], KeyError, "total"),
    (["date_modified_gmt"], "yesterday", "date_modified_gmt"),
    (["line_items", 0, "quantity"], 0, "line_items[0].quantity"),
    (["line_items", 0, "quantity"], "two", "line_items[0].quantity"),
    (["shipping_lines"], {"id": 1}, "shipping_lines"),
    (["currency"], "dollars", "currency"),
    (["billing"], "somewhere", "billing"),
])
def test_malformed_input_names_the_field(path, value, field):
    with pytest.raises(WooMappingError) as err:
        order_from_woo(_broken(path, value), store="s")
    assert err.value.field == field
    assert str(err.value).startswith(field)


def test_error_documents_are_refused_by_name():
    batch = _load("orders_batch_update_response_fee_and_error.android-fixture.json")
    with pytest.raises(WooMappingError, match="woocommerce_rest_shop_order_invalid_id"):
        order_from_woo(batch["update"][1], store="s")
    with pytest.raises(WooMappingError):
        order_from_woo(_load("error_wp_rest_no_route.docs.json"), store="s")


def test_store_orders_with_every_kind_of_line_map_and_re_add(sandbox_store):
    api = sandbox_store.api()
    raw = api.post("orders", {
        "set_paid": True, "payment_method": "sandbox_card",
        "line_items": [{"sku": "WOO-HOODIE", "quantity": 2}, {"sku": "WOO-CAP-RED"}],
        "coupon_lines": [{"code": "fiveoff"}],
        "shipping_lines": [{"method_id": "flat_rate", "method_title": "Flat", "total": "6.95"}],
        "fee_lines": [{"name": "Discount", "total": "-2.00"}],
        "billing": {"first_name": "Ada", "email": "ada@example.com"}}).json()
    api.post(f"orders/{raw['id']}/refunds", {"amount": "3.00"})
    raw = api.get(f"orders/{raw['id']}").json()
    order = order_from_woo(raw, store="sandbox")
    assert order.computed_total() == order.total
    assert order.refunded_total() == Money.of("3.00", "USD")
    assert order.lines[1].variation_id and order.lines[1].sku == "WOO-CAP-RED"
    refund_raw = api.get(f"orders/{raw['id']}/refunds").json()[0]
    refund = refund_from_woo(refund_raw, order=raw)
    assert refund.order_woo_id == raw["id"] and refund.amount == Money.of("3.00", "USD")
