"""The mapping bounds every number it accepts, and refuses the rest by name.

What passes here goes into Temporal search attributes (int64), the Web UI
(JavaScript doubles) and Tryton; what does not must be a WooMappingError
(a ValueError the ingress turns into a dead letter), never an
ArithmeticError or OverflowError that escapes the inbox.
"""
from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from canonical.money import Money
from systems.woocommerce.mapping import (MAX_AMOUNT, MAX_ID, MAX_QUANTITY, WooMappingError,
                                         order_from_woo, order_id_from_woo, product_from_woo,
                                         refund_from_woo)

DELIVERY = Path(__file__).resolve().parents[1] / "data" / "order_created_delivery.json"


@pytest.fixture
def order() -> dict:
    return json.loads(DELIVERY.read_text())


def refused(raw: dict, field: str) -> WooMappingError:
    with pytest.raises(WooMappingError) as caught:
        order_from_woo(raw, store="default")
    assert caught.value.field == field, caught.value
    return caught.value


@pytest.mark.parametrize("value", [2**63, 2**63 - 1, MAX_ID + 1, 0, -5, "9" * 30, "1e3",
                                   "1_000", "\u0661\u0662", " 12", 12.0, True, None])
def test_an_order_id_out_of_range_or_not_an_integer_is_refused(order, value):
    order["id"] = value
    refused(order, "id")


def test_the_largest_id_and_amount_still_map(order):
    order["id"] = MAX_ID
    order["line_items"][0]["id"] = str(MAX_ID)  # ids may come as decimal strings
    order["line_items"][0]["quantity"] = MAX_QUANTITY
    order["total"] = "999999999999.99"
    mapped = order_from_woo(order, store="default")
    assert (mapped.woo_id, mapped.lines[0].line_id, mapped.lines[0].quantity) == (
        MAX_ID, MAX_ID, MAX_QUANTITY)
    assert mapped.total == Money.of("999999999999.99", order["currency"])


@pytest.mark.parametrize("value", ["1e26", "1e999999", "-1e12", "1000000000000", "999999999999.999",
                                   "0." + "0" * 100 + "1", "Infinity", "NaN"])
def test_money_beyond_the_bound_is_refused_by_field(order, value):
    order["total"] = value
    error = refused(order, "total")
    assert len(str(error)) < 200  # the reason is stored and logged: it stays short


def test_line_quantities_and_ids_are_bounded(order):
    for key, value in (("quantity", MAX_QUANTITY + 1), ("quantity", 0),
                       ("id", 2**64), ("product_id", -1), ("variation_id", 2**53)):
        raw = copy.deepcopy(order)
        raw["line_items"][0][key] = value
        refused(raw, f"line_items[0].{key}")
    order["customer_id"] = 2**63
    refused(order, "customer_id")


@pytest.mark.parametrize("currency", ["usd", "US1", "€€€", "USDX"])
def test_a_currency_that_is_not_an_iso_code_is_a_mapping_error(order, currency):
    order["currency"] = currency
    refused(order, "currency")


def test_a_huge_value_is_named_not_echoed(order):
    order["total"] = "9" * 100_000
    assert len(str(refused(order, "total"))) < 200


@pytest.mark.parametrize("body", [{"id": 1e400}, {"id": float("nan")}, {"id": 2**63},
                                  {"id": "12x"}, {"id": 0}, {}, [], "12"])
def test_a_trash_delivery_id_is_bounded(body):
    with pytest.raises(WooMappingError):
        order_id_from_woo(body)


def test_a_trash_delivery_id_in_range_maps():
    assert order_id_from_woo({"id": 812}) == 812


def test_refund_numbers_are_bounded(order):
    refund = {"id": 9, "amount": "5.00", "reason": "", "date_created_gmt": "2026-11-26T12:00:00",
              "line_items": [{"id": 1, "quantity": -1, "total": "-5.00", "total_tax": "0.00",
                              "meta_data": [{"key": "_refunded_item_id", "value": 1e400}]}]}
    with pytest.raises(WooMappingError, match="_refunded_item_id"):
        refund_from_woo(refund, order_id=1, currency="USD")
    refund["line_items"][0]["meta_data"][0]["value"] = "3"
    refund["line_items"][0]["quantity"] = -(MAX_QUANTITY + 1)
    with pytest.raises(WooMappingError, match="quantity"):
        refund_from_woo(refund, order_id=1, currency="USD")
    refund["line_items"][0]["quantity"] = -1
    refund["_links"] = {"up": [{"href": "https://shop/wp-json/wc/v3/orders/" + "9" * 5000}]}
    with pytest.raises(WooMappingError, match="_links.up"):
        refund_from_woo(refund, currency="USD")


@pytest.mark.parametrize("qty", [float("inf"), float("nan"), 1e300, -(MAX_QUANTITY + 1)])
def test_product_stock_is_bounded(qty):
    with pytest.raises(WooMappingError, match="stock_quantity"):
        product_from_woo({"id": 5, "sku": "A", "name": "a", "price": "1.00",
                          "stock_quantity": qty}, "USD")


def test_money_too_large_for_decimal_is_a_value_error():
    """Money.of("1e26") raised decimal.InvalidOperation, an ArithmeticError
    that no caller expected; now it is a ValueError like every other refusal."""
    with pytest.raises(ValueError, match="too large"):
        Money.of("1e26", "USD")
    with pytest.raises(ValueError):
        Money.of(Decimal("1e999999"), "JPY")
    assert MAX_AMOUNT == Decimal(10**12)


@pytest.mark.parametrize("field,path", [("transaction_id", ("transaction_id",)),
                                        ("billing.first_name", ("billing", "first_name")),
                                        ("line_items[0].sku", ("line_items", 0, "sku"))])
def test_a_nul_in_text_is_refused_before_it_reaches_postgresql(order, field, path):
    parent = order
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = "abc\x00def"
    assert "NUL" in str(refused(order, field))
